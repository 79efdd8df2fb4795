#!/usr/bin/env bash
# Replays the README's multi-turn transcript against a running server:
#   askbot serve &   then   bash scripts/transcript.sh [http://127.0.0.1:8000]
set -euo pipefail
BASE=${1:-http://127.0.0.1:8000}
chat() { curl -s "$BASE/v1/chat" -H 'content-type: application/json' -d "$1"; }
show() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k: d[k] for k in ("session_id","decision","confidence","answer","alternatives","understood_as","via") if k in d}, indent=1)[:1500])'; }

echo '$ curl -s localhost:8000/v1/chat -d '"'"'{"message": "why are Seoul and Tokyo getting closer?", "collection": "south-korea-japan-relations"}'"'"
first=$(chat '{"message": "why are Seoul and Tokyo getting closer?", "collection": "south-korea-japan-relations"}')
echo "$first" | show
sid=$(echo "$first" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')
for message in "and what about an alliance?" "regional security impact" "2"; do
  echo
  echo "\$ curl -s localhost:8000/v1/chat -d '{\"message\": \"$message\", \"session_id\": \"$sid\"}'"
  reply=$(chat "{\"message\": \"$message\", \"session_id\": \"$sid\"}")
  echo "$reply" | show
done
answer=$(echo "$reply" | python3 -c 'import json,sys; print(json.load(sys.stdin)["answer"]["id"])')
echo
echo "\$ curl -s localhost:8000/v1/feedback -d '{\"session_id\": \"$sid\", \"answer_id\": \"$answer\", \"helpful\": true}'"
curl -s "$BASE/v1/feedback" -H 'content-type: application/json' \
  -d "{\"session_id\": \"$sid\", \"answer_id\": \"$answer\", \"helpful\": true}"
echo
