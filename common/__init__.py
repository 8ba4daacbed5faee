"""What every stage shares and no stage owns: argument checks, local/gs:// files, language codes,
scripts, α-sampling and the reader of a corpus directory. Imports no stage."""
