# Shared by scripts/demo and scripts/test: make .venv and install the project into it.
# Usage: source scripts/_venv.sh EXTRAS   (EXTRAS e.g. "" or "dev")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $("$py" --version)" >&2
  "$py" -m venv .venv
fi
extras="${1:-}"
spec="."
[ -n "$extras" ] && spec=".[$extras]"
echo "==> installing visitation${extras:+[$extras]} into .venv" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec" >&2
