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
# vega's CSP-safe expression interpreter ships only as an ES module importing vega-util;
# the vega bundle exports those functions, so it is wrapped as a plain script over it.
interpreter=node_modules/vega-interpreter
{
  echo "// vega-interpreter $(node -p "require('./$interpreter/package.json').version"), wrapped over window.vega (see scripts/vendor-assets.sh)"
  echo "(function (vega) {"
  sed -e "s/^import { \(.*\) } from 'vega-util';$/var { \1 } = vega;/" \
      -e "s/^export { expression as expressionInterpreter };$/vega.expressionInterpreter = expression;/" \
      -e "/sourceMappingURL/d" \
      "$interpreter/build/vega-interpreter.js"
  echo "})(window.vega);"
} > "$target/vega-interpreter.js"
cp "$interpreter/LICENSE" "$target/vega-interpreter.LICENSE.txt"
echo "vendored: $(ls "$target" | tr '\n' ' ')"
