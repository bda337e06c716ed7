#!/usr/bin/env bash
# Builds the npm package `sealvault` into bindings-js/pkg/ (no wasm-pack):
#   1. cargo build -p sealvault-js for wasm32-unknown-unknown, profile wasm-release
#   2. wasm-bindgen CLI (pinned to the version in Cargo.lock; installed if missing)
#      --target nodejs -> pkg/node/, --target web -> pkg/web/
#   3. wasm-opt -Os from the npm `binaryen` package (devDependency), when installed
#   4. loaders, index.d.ts, package.json with the version of Cargo.toml
# Honours CARGO_TARGET_DIR (default <repo>/target). Prints the wasm size.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo="${CARGO:-cargo}"

"$cargo" build -p sealvault-js --target wasm32-unknown-unknown --profile wasm-release
raw="$target_dir/wasm32-unknown-unknown/wasm-release/sealvault_js.wasm"

wb_version="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
if [ -z "$wb_version" ]; then echo "build.sh: wasm-bindgen not found in Cargo.lock" >&2; exit 1; fi
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wb_version"; then
  echo "build.sh: installing wasm-bindgen-cli $wb_version (takes minutes)" >&2
  # --locked when the registry has every locked crate; otherwise resolve afresh.
  "$cargo" install wasm-bindgen-cli --version "$wb_version" --locked ||
    "$cargo" install wasm-bindgen-cli --version "$wb_version"
fi

pkg="$here/pkg"
rm -rf "$pkg"
mkdir -p "$pkg/node" "$pkg/web"
wasm-bindgen "$raw" --out-dir "$pkg/node" --target nodejs --weak-refs
wasm-bindgen "$raw" --out-dir "$pkg/web" --target web --weak-refs --no-typescript
printf '{ "type": "commonjs" }\n' > "$pkg/node/package.json"
printf '{ "type": "module" }\n' > "$pkg/web/package.json"

wasm_opt="$here/node_modules/.bin/wasm-opt"
if [ -x "$wasm_opt" ]; then
  for dir in node web; do
    "$wasm_opt" -Os --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$pkg/$dir/sealvault_js_bg.wasm" -o "$pkg/$dir/sealvault_js_bg.wasm"
  done
else
  echo "build.sh: wasm-opt not installed (npm install in bindings-js); wasm left unoptimised" >&2
fi

cp "$here/js/index.cjs" "$here/js/index.mjs" "$here/js/browser.mjs" \
   "$here/js/errors.cjs" "$here/js/errors.mjs" \
   "$here/js/playwright.cjs" "$here/js/playwright.mjs" "$here/js/playwright.d.ts" "$pkg/"
cat "$pkg/node/sealvault_js.d.ts" "$here/js/errors.d.ts" > "$pkg/index.d.ts"
rm "$pkg/node/sealvault_js.d.ts" "$pkg/node/sealvault_js_bg.wasm.d.ts" 2>/dev/null || true
cp "$here/README.md" "$pkg/README.md" 2>/dev/null || true

version="$("$cargo" metadata --no-deps --format-version 1 |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="sealvault-js");process.stdout.write(p.version)})')"
node -e 'const fs=require("fs");const [src,dst,v]=process.argv.slice(1);const p=JSON.parse(fs.readFileSync(src,"utf8"));p.version=v;fs.writeFileSync(dst,JSON.stringify(p,null,2)+"\n")' \
  "$here/js/package.json" "$pkg/package.json" "$version"

size="$(wc -c < "$pkg/web/sealvault_js_bg.wasm")"
gz="$(gzip -9c "$pkg/web/sealvault_js_bg.wasm" | wc -c)"
echo "build.sh: sealvault@$version in $pkg; wasm $size bytes ($gz gzipped)"
