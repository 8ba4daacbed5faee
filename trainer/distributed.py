"""Process group set-up from torchrun's environment (NCCL on GPUs, gloo on CPU, nothing for one process),
and the autocast that --precision asks for on the device it picked."""

from __future__ import annotations

import contextlib
import dataclasses
import os

import torch
import torch.distributed as dist


@dataclasses.dataclass(frozen=True)
class Context:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """All-reduce (sum) in place across ranks; returns the tensor."""
        if self.distributed:
            dist.all_reduce(tensor)
        return tensor

    def gather(self, value: float) -> list[float]:
        """One float from every rank, in rank order."""
        if not self.distributed:
            return [value]
        out = torch.zeros(self.world, dtype=torch.float64, device=self.device)
        out[self.rank] = value
        return self.sum(out).tolist()


def setup(device: str = "auto") -> Context:
    """Join torchrun's process group if there is one; pick the device (cuda:LOCAL_RANK when there are GPUs)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if use_cuda:
        torch.cuda.set_device(local_rank)
        where = torch.device("cuda", local_rank)
    else:
        where = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", device_id=where if use_cuda else None)
    return Context(rank, world, local_rank, where)


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def autocast_for(precision: str, device: torch.device):
    """(autocast context factory, gradient scaler or None) for --precision."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision == "fp32":
        return contextlib.nullcontext, None
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None
    return (lambda: torch.autocast(device.type, dtype=dtype)), scaler
