#!/usr/bin/env bash
# Copy the chart libraries from node_modules (npm ci) into the package's static
# files, so an installed Klantpeil serves them itself: no CDN, no npm at run time.
# A test fails when these copies and package-lock.json's versions drift apart.
set -euo pipefail
cd "$(dirname "$0")/.."
target=src/klantpeil/core/static/klantpeil/vendor
mkdir -p "$target"
for package in vega vega-lite vega-embed; do
  cp "node_modules/$package/build/$package.min.js" "$target/$package.min.js"
  cp "node_modules/$package/LICENSE" "$target/$package.LICENSE.txt"
done
echo "vendored: $(ls "$target" | tr '\n' ' ')"
