#!/usr/bin/env bash
# Build the front-end assets into static/ from the pinned npm packages.
#
#   static/src/app.scss  ->  static/css/app.css   (compressed, no source map)
#   vendor scripts       ->  static/vendor/
#
# The output is committed, so the app runs without Node. Run this after
# changing static/src/ or package.json, then commit what changed in static/.
#
# Source-map comments are stripped from the vendored scripts: the maps are not
# shipped, and Django's manifest static storage refuses to collect a file whose
# map reference points at a missing file.
#
# GOV.UK Frontend's fonts and images (the GOV.UK Transport typeface, the crown
# and the royal coat of arms) are restricted to GOV.UK and are not copied.
set -euo pipefail

cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund

css_out=static/css
vendor=static/vendor
mkdir -p "$css_out"
rm -rf "$vendor"
mkdir -p "$vendor"

npx --no-install sass \
  --load-path=node_modules \
  --style=compressed \
  --no-source-map \
  --quiet-deps \
  static/src/app.scss "$css_out/app.css"

copy_js() {
  # copy_js SOURCE DEST: copy a script and drop its trailing source-map comment.
  sed -e 's|//# sourceMappingURL=[^[:space:]]*[[:space:]]*$||' "$1" > "$2"
}

copy_js node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$vendor/govuk-frontend.min.js"
copy_js node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
copy_js node_modules/chart.js/dist/chart.umd.min.js "$vendor/chart.umd.min.js"
copy_js node_modules/axe-core/axe.min.js "$vendor/axe.min.js"

# Record exactly which versions were vendored.
node -e '
  const pkgs = ["govuk-frontend", "htmx.org", "chart.js", "axe-core", "sass"];
  const out = {};
  for (const p of pkgs) out[p] = require(`./node_modules/${p}/package.json`).version;
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
' > "$vendor/VERSIONS.json"

# The built CSS must not point at fonts or images that are not shipped.
if grep -Eo 'url\([^)]*\)' "$css_out/app.css" | grep -v 'url(data:' | grep -q .; then
  echo "static/css/app.css refers to files that are not shipped:" >&2
  grep -Eo 'url\([^)]*\)' "$css_out/app.css" | grep -v 'url(data:' >&2
  exit 1
fi

echo "Built $css_out/app.css and $(ls "$vendor" | wc -l) files in $vendor/"
