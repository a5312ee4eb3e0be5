# Audit the pinned dependencies (constraints.txt) for known vulnerabilities with pip-audit.
# Sourced by .ci/run. The audit needs PyPI's vulnerability API; where that is not reachable
# (a sandbox with a package mirror only) it says so and does not fail the build.

audit_dependencies() {
    if ! python3 -c "import urllib.request; urllib.request.urlopen('https://pypi.org/pypi/pip/json', timeout=10)" 2>/dev/null; then
        echo "dependency audit: PyPI's vulnerability service is not reachable from here; skipped (constraints.txt is unaudited)"
        return 0
    fi
    python3 -m venv /tmp/digestbot-audit && /tmp/digestbot-audit/bin/pip install -q pip-audit
    /tmp/digestbot-audit/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r constraints.txt
}
