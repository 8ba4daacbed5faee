"""What pipeline/options.py relies on in Beam, checked against Beam's public API: a Beam
upgrade that breaks the adapter (beam_flags_parser, flag_actions) or the keyword overrides
that parse_options passes fails here, not in a run."""

import copy

from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions

from xlmr.pipeline.options import CorpusOptions, beam_flags_parser, corpus_flags, flag_actions


def test_the_parser_knows_every_option_beam_knows():
    parser = beam_flags_parser("xlmr-corpus")
    # Beam's public get_all_options() lists every registered option, ours included
    assert {a.dest for a in flag_actions(parser)} == set(PipelineOptions([]).get_all_options())
    # Beam's parser class: option classes may add templated (ValueProvider) flags through it
    assert callable(getattr(parser, "add_value_provider_argument", None))


def test_flag_actions_carry_every_spelling():
    spellings = {opt: a.dest for a in flag_actions(beam_flags_parser("xlmr-corpus")) for opt in a.option_strings}
    assert spellings["--min-chars"] == spellings["--min_chars"] == "min_chars"
    assert spellings["--runner"] == "runner"
    assert {a.dest for a in corpus_flags()} == set(CorpusOptions([]).get_all_options(current_only=True))


def test_keyword_overrides_win_in_every_view_and_reach_the_runner():
    options = PipelineOptions(["--output", "x", "--repair", "on"], near_dup="off", runner="FnApiRunner",
                              direct_num_workers=3)
    corpus = options.view_as(CorpusOptions)
    assert (corpus.near_dup, corpus.repair) == ("off", "on")
    assert corpus.get_all_options(current_only=True)["near_dup"] == "off"  # _stats.json's config.flags
    copied = copy.deepcopy(options)  # beam.Pipeline runs a copy
    assert copied.view_as(StandardOptions).runner == "FnApiRunner"
    assert copied.view_as(DirectOptions).direct_num_workers == 3
    # what runners hand their workers and Dataflow
    sent = options.get_all_options(drop_default=True, retain_unknown_options=True)
    assert (sent["near_dup"], sent["runner"], sent["direct_num_workers"]) == ("off", "FnApiRunner", 3)
