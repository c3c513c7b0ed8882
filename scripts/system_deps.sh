#!/usr/bin/env bash
# System libraries the Python packages need but pip cannot install: Pango for
# WeasyPrint's invoice PDFs (make run and make test), Debian's chromium for the
# browser tests (make test only, "test" argument). Installed with apt-get when
# missing and we are root; otherwise say what is missing and go on (the invoice
# PDF then fails with WeasyPrint's own message naming the library).
set -uo pipefail
want=()
if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so'; then
  want+=(libpango-1.0-0 libpangoft2-1.0-0)
fi
if [[ "${1:-}" == "test" && ! -x /usr/bin/chromium ]]; then
  want+=(chromium)
fi
[[ ${#want[@]} -eq 0 ]] && exit 0
if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  echo "installing system packages: ${want[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null
else
  echo "missing system packages (install them with your package manager): ${want[*]}" >&2
fi
exit 0
