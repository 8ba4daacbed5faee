# The variables build.sh and run.sh read; set them in your shell or edit the defaults.
export PROJECT="${PROJECT:?set PROJECT to your Google Cloud project id}"
export REGION="${REGION:-us-central1}"
export BUCKET="${BUCKET:?set BUCKET to a gs://bucket for templates, staging and output (without gs://)}"
export REPOSITORY="${REPOSITORY:-xlmr}"   # an Artifact Registry Docker repository in REGION
export TAG="${TAG:-$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --short HEAD)}"
export IMAGES="${REGION}-docker.pkg.dev/${PROJECT}/${REPOSITORY}"
export LAUNCHER_IMAGE="${IMAGES}/xlmr-corpus-launcher:${TAG}"
export WORKER_IMAGE="${IMAGES}/xlmr-corpus-worker:${TAG}"
export TEMPLATE="gs://${BUCKET}/templates/xlmr-corpus-${TAG}.json"
