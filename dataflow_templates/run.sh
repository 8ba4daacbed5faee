#!/usr/bin/env bash
# Launch the template. Extra template parameters go in PARAMETERS (comma-separated key=value;
# list values use ^~^ gcloud escaping, see docs/dataflow.md). Examples:
#   CRAWL=CC-MAIN-2024-10 MAX_FILES=100 dataflow_templates/run.sh
#   PARAMETERS="languages=cc100" MAX_WORKERS=400 dataflow_templates/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"

CRAWL="${CRAWL:-CC-MAIN-2024-10}"
OUTPUT="${OUTPUT:-gs://${BUCKET}/cc100/${CRAWL}}"
MAX_WORKERS="${MAX_WORKERS:-100}"         # caps what data.commoncrawl.org sees from us
MACHINE="${MACHINE:-n2-standard-8}"
parameters="crawl=${CRAWL},output=${OUTPUT}"
[ -n "${MAX_FILES:-}" ] && parameters+=",max_files=${MAX_FILES}"
[ -n "${PARAMETERS:-}" ] && parameters+=",${PARAMETERS}"

gcloud dataflow flex-template run "xlmr-corpus-$(date +%Y%m%d-%H%M%S)" \
  --project "$PROJECT" --region "$REGION" \
  --template-file-gcs-location "$TEMPLATE" \
  --temp-location "gs://${BUCKET}/tmp" --staging-location "gs://${BUCKET}/staging" \
  --max-workers "$MAX_WORKERS" --worker-machine-type "$MACHINE" \
  --additional-experiments use_runner_v2 \
  --parameters "$parameters"
