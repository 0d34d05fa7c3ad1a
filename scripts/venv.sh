# Sourced by scripts/serve and scripts/test: make a virtualenv and install into it only when
# what it installs has changed, so that starting again takes no network and no time.
#
#   ensure_venv DIR PIP-ARGS...
#
# The packages are installed editable, so source changes need no reinstall; what does is a
# change of a pyproject.toml (dependencies, entry points), of the Python, or of the arguments.

ensure_venv() {
    local venv=$1
    shift
    local python=${PYTHON:-python3}
    local stamp_file=$venv/.installed
    local stamp
    stamp=$(
        {
            "$python" --version 2>&1
            printf '%s\n' "$@"
            cat pyproject.toml client/pyproject.toml examples/*/pyproject.toml
        } | sha256sum | cut -d' ' -f1
    )
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
    fi
    echo "installing into $venv (first run, or a pyproject.toml changed) ..." >&2
    rm -f "$stamp_file"
    "$venv/bin/python" -m pip install --quiet "$@"
    printf '%s\n' "$stamp" > "$stamp_file"
}
