#!/bin/sh
# copy-secrets.sh SRC DEST USER: copies the secret files mounted in SRC (docker-compose file secrets)
# into DEST, mode 600 and owned by USER, as Buildbot's SecretInAFile requires. Files that vanished
# from SRC are removed from DEST. Never prints a value.
set -eu
src=$1 dest=$2 user=$3
mkdir -p "$dest"
chmod 700 "$dest"
chown "$user" "$dest"
[ -d "$src" ] || exit 0
for f in "$dest"/* "$dest"/.[!.]*; do
  [ -e "$f" ] || continue
  [ -e "$src/$(basename "$f")" ] || rm -f "$f"
done
for f in "$src"/* "$src"/.[!.]*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  tmp="$dest/.$name.tmp"
  (umask 077 && cat "$f" >"$tmp")
  chown "$user" "$tmp"
  mv -f "$tmp" "$dest/$name"
done
