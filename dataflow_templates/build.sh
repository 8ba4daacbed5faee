#!/usr/bin/env bash
# Build the wheel, both images (with Cloud Build: no local Docker needed) and the template spec.
#   PROJECT=my-project BUCKET=my-bucket dataflow_templates/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
cd "$here/.."

rm -rf dist && python -m pip wheel --no-deps -w dist .
gcloud artifacts repositories describe "$REPOSITORY" --location "$REGION" --project "$PROJECT" >/dev/null 2>&1 \
  || gcloud artifacts repositories create "$REPOSITORY" --repository-format docker --location "$REGION" --project "$PROJECT"

for kind in worker launcher; do
  image=$([ "$kind" = worker ] && echo "$WORKER_IMAGE" || echo "$LAUNCHER_IMAGE")
  gcloud builds submit --project "$PROJECT" --region "$REGION" \
    --config /dev/stdin . <<YAML
steps:
- name: gcr.io/cloud-builders/docker
  args: [build, -f, dataflow_templates/Dockerfile.$kind, --build-arg, WORKER_IMAGE=$WORKER_IMAGE, -t, $image, .]
images: [$image]
YAML
done

gcloud dataflow flex-template build "$TEMPLATE" --project "$PROJECT" \
  --image "$LAUNCHER_IMAGE" --sdk-language PYTHON \
  --metadata-file dataflow_templates/metadata.json
echo "template: $TEMPLATE"
