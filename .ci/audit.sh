# Audit the pinned dependencies (constraints.txt) for known vulnerabilities with pip-audit.
# Sourced by .ci/run. The audit needs PyPI's JSON API with its vulnerability data; where that is
# not reachable, or is a mirror that knows none of the pins, it says so and does not fail the
# build. A known vulnerability in any package it could audit fails the build.

audit_dependencies() {
    if ! python3 -c "import urllib.request; urllib.request.urlopen('https://pypi.org/pypi/pip/json', timeout=10)" 2>/dev/null; then
        echo "dependency audit: PyPI's vulnerability service is not reachable from here; skipped (constraints.txt is unaudited)"
        return 0
    fi
    python3 -m venv /tmp/digestbot-audit && /tmp/digestbot-audit/bin/pip install -q -c constraints.txt pip-audit
    local report status=0
    report=$(/tmp/digestbot-audit/bin/pip-audit --no-deps --disable-pip --progress-spinner off -r constraints.txt 2>&1) || status=$?
    local pinned unaudited
    pinned=$(grep -cv -e '^#' -e '^$' constraints.txt)
    unaudited=$(printf '%s\n' "$report" | grep -c "could not be audited" || true)
    if [ "$status" -eq 0 ] && [ "$unaudited" -ge "$pinned" ]; then
        echo "dependency audit: the package index here knows none of the $pinned pins (a mirror, not PyPI's vulnerability data); skipped"
        return 0
    fi
    printf '%s\n' "$report" | grep -v "could not be audited" || true
    [ "$unaudited" -eq 0 ] || echo "dependency audit: $unaudited of $pinned pins could not be audited"
    return "$status"
}
