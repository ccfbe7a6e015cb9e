#!/usr/bin/env bash
# Builds the stylesheet from GOV.UK Frontend's Sass (our font stack, no GOV.UK
# typeface) and copies its JavaScript into var/assets, served as static files.
# Skips the work when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

out=var/assets
src=platform/web/static/scss
mkdir -p "$out/govuk"
stamp="$out/.built"
want=$(cat package-lock.json "$src"/*.scss | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -s "$out/jointly.css" ]; then
  exit 0
fi
printf '\033[1m==> %s\033[0m\n' "Building the stylesheet and scripts"
npx --no-install sass --load-path=node_modules --no-source-map --style=compressed --quiet-deps \
  "$src/main.scss" "$out/jointly.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/govuk/govuk-frontend.min.js"
echo "$want" > "$stamp"
