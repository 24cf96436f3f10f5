#!/usr/bin/env bash
# make dist-check: the wheel is the product, so try it as a user gets it.
#
# Builds the wheel and sdist, checks that each carries every non-Python file of the package,
# installs the wheel into a fresh virtual environment in a temporary directory (not the
# checkout's .venv, not an editable install), and from an empty directory runs the installed
# program: --version, --help, plan, demo (must be a GO) and quick against a simulated fleet
# started from the installed package. A data file left out of the wheel fails here, loudly,
# instead of on a user's first run.
#
# Usage: tests/dist_check.sh [PYTHON]   (PYTHON builds and creates the venv; default python3)
set -euo pipefail

PYTHON=${1:-python3}
CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cutover-dist-check.XXXXXX")
FLEET_PID=

cleanup() {
    if [ -n "$FLEET_PID" ]; then
        kill -TERM "$FLEET_PID" 2>/dev/null || true
        # Bounded: the fleet stops on SIGTERM at once; SIGKILL if it has not within 5 s.
        for _ in $(seq 50); do kill -0 "$FLEET_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$FLEET_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "dist-check: FAILED: $*" >&2
    exit 1
}

START=$EPOCHREALTIME
step() {
    awk -v start="$START" -v now="$EPOCHREALTIME" -v what="$*" \
        'BEGIN { printf "[dist-check %6.2fs] %s\n", now - start, what }'
}

# Run one command of the installed program from the empty directory, with a bound, echoing it.
run_installed() {
    local expected=$1
    shift
    step "\$ $*"
    local code=0
    (cd "$WORK/empty" && timeout 120 "$@") >"$WORK/out" 2>&1 || code=$?
    sed 's/^/    /' "$WORK/out"
    [ "$code" -eq "$expected" ] || fail "'$*' exited $code, expected $expected"
}

# Build from a copy of what a fresh clone would hold (tracked and new, not ignored files): the
# checkout's cutover_probe.egg-info/SOURCES.txt, left by `pip install -e`, would otherwise feed
# setuptools a list of data files that hides a gap in package-data.
step "copying $CHECKOUT's files (git ls-files) to build from"
mkdir "$WORK/src"
(cd "$CHECKOUT" && git ls-files -z --cached --others --exclude-standard \
    | tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$WORK/src"
step "building wheel and sdist"
"$PYTHON" -m build --quiet --outdir "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; fail "python -m build"; }
WHEEL=$(ls "$WORK"/dist/*.whl)
SDIST=$(ls "$WORK"/dist/*.tar.gz)
step "built $(basename "$WHEEL") and $(basename "$SDIST")"

# Every file of the package that is not Python source must be in both archives: the list comes
# from the checkout (git's, else the file system's), so a new data file needs no edit here.
"$PYTHON" - "$CHECKOUT" "$WHEEL" "$SDIST" <<'EOF' || fail "a package file is missing from an archive"
import subprocess, sys, tarfile, zipfile
from pathlib import Path

checkout, wheel, sdist = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    tracked = subprocess.run(
        ["git", "-C", str(checkout), "ls-files", "cutover_probe"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.split()
except (OSError, subprocess.SubprocessError):
    tracked = [str(p.relative_to(checkout)) for p in (checkout / "cutover_probe").rglob("*")]
needed = sorted(
    f for f in tracked if (checkout / f).is_file() and "__pycache__" not in f
)
in_wheel = set(zipfile.ZipFile(wheel).namelist())
with tarfile.open(sdist) as archive:
    root = archive.getnames()[0].split("/")[0]
    in_sdist = {name.removeprefix(root + "/") for name in archive.getnames()}
missing = [f"wheel: {f}" for f in needed if f not in in_wheel]
missing += [f"sdist: {f}" for f in needed if f not in in_sdist]
for line in missing:
    print(f"    missing from the {line}", file=sys.stderr)
data = [f for f in needed if not f.endswith(".py")]
if not missing:
    print(f"    {len(needed)} package files in both archives; data files: {', '.join(data)}")
sys.exit(1 if missing else 0)
EOF

step "installing the wheel into a fresh venv outside the checkout"
"$PYTHON" -m venv "$WORK/venv"
# --no-compile: byte-compiling every dependency (the Google libraries, grpc) is most of the
# install's CPU time, and the commands below compile what they import anyway.
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile "$WHEEL" \
    >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log" >&2; fail "pip install of the wheel"; }
mkdir "$WORK/empty"
BIN="$WORK/venv/bin"

# Nothing from the checkout may leak in: no PYTHONPATH, and the import must come from the venv.
unset PYTHONPATH
LOCATION=$(cd "$WORK/empty" && "$BIN/python" -c 'import cutover_probe; print(cutover_probe.__file__)')
case "$LOCATION" in
    "$WORK/venv/"*) step "imports from $LOCATION" ;;
    *) fail "cutover_probe imported from $LOCATION, not from the fresh venv" ;;
esac

VERSION=$(basename "$WHEEL" | cut -d- -f2)
run_installed 0 "$BIN/cutover-probe" --version
grep -qx "cutover-probe, version $VERSION" "$WORK/out" \
    || fail "--version did not print $VERSION (the wheel's version)"
run_installed 0 "$BIN/cutover-probe" --help
# plan loads the shipped matrix, which names htmx-baseline.csv: a missing data file exits 2.
run_installed 0 "$BIN/cutover-probe" plan
# CI=1: plain lines, no live table. demo starts its own fleet and must be a GO.
run_installed 0 env CI=1 "$BIN/cutover-probe" demo --output-dir "$WORK/empty/demo"
for file in results.tsv SUMMARY.md results.json report.html; do
    [ -s "$WORK/empty/demo/$file" ] || fail "demo wrote no $file"
done
# Every lane on: the HTMX lanes read htmx-baseline.csv at run time and log deltas against it.
# --baseline (exit 0 whatever the verdict): their time-to-first-byte budgets are about speed,
# which a loaded CI machine does not promise; the log line is what shows the CSV was read.
run_installed 0 env CI=1 "$BIN/cutover-probe" demo -q --all-lanes --baseline \
    --output-dir "$WORK/empty/all"
grep -q '^baseline login_email_hx: ' "$WORK/empty/all/logs/control-staging-htmx-perf.log" \
    || fail "the HTMX lane logged no delta against the shipped htmx-baseline.csv"

step "starting the simulated fleet from the installed package"
"$BIN/python" -m cutover_probe.fleet >"$WORK/fleet.env" 2>"$WORK/fleet.err" &
FLEET_PID=$!
for _ in $(seq 300); do  # up to 30 s
    grep -qx '# ready' "$WORK/fleet.env" && break
    kill -0 "$FLEET_PID" 2>/dev/null || { cat "$WORK/fleet.err" >&2; fail "the fleet exited"; }
    sleep 0.1
done
grep -qx '# ready' "$WORK/fleet.env" || fail "the fleet did not print '# ready' within 30 s"
# The fleet prints shell-quoted `export NAME=value` lines, meant to be sourced or eval'ed whole.
grep -v -e '^export [A-Z_][A-Z0-9_]*=' -e '^#' "$WORK/fleet.env" \
    && fail "the fleet printed a line that is neither an export nor a comment"
eval "$(cat "$WORK/fleet.env")"
run_installed 0 "$BIN/cutover-probe" quick --strict
grep -q '^\[quick\] all ready' "$WORK/out" || fail "quick did not say all ready"
grep -q '^cloudrun-runtime  *yes' "$WORK/out" || fail "quick's Cloud Run row did not run"

step "OK: the installed wheel works outside the checkout"
