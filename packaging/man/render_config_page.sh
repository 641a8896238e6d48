#!/bin/sh
# Writes enumd.yaml(5) from its template and `enumd --help-config`, so the
# page lists exactly the keys, types, ranges and defaults the binary accepts.
#   render_config_page.sh ENUMD TEMPLATE OUTPUT
# The template's line "@KEYS@" becomes one .TP entry per key.
set -eu
enumd=$1
template=$2
out=$3
# Key lines start in column 1 ("key: type, default"); their doc lines are
# indented by four spaces. Backslashes and the section sign become roff
# escapes; a line starting with . or ' is protected with \&.
"$enumd" --help-config | sed \
  -e 's/\\/\\e/g' \
  -e 's/§/\\[sc]/g' \
  -e "s/^    \([.']\)/    \\\\\&\1/" \
  -e 's/^\([^ ][^:]*\): \(.*\)$/.TP\n.B \1\n\\\&\2\n.br/' \
  -e 's/^    //' >"$out.keys"
grep -q '^\.TP$' "$out.keys" || { echo "$0: no keys from $enumd --help-config" >&2; exit 1; }
sed -e "/^@KEYS@\$/{r $out.keys" -e 'd' -e '}' "$template" >"$out.tmp"
rm -f "$out.keys"
mv -f "$out.tmp" "$out"
