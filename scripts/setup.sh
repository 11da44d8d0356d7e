#!/usr/bin/env bash
# One command sets guestkit up on a Debian 12 machine: system packages (when root),
# npm packages, the TypeScript build, the WebAssembly modules and the test fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(emscripten e2fsprogs ntfs-3g dosfstools mtools libhivex-bin libwin-hivex-perl augeas-tools qemu-utils qemu-system-x86 linux-image-amd64 busybox btrfs-progs nbdkit fdisk gdisk dpkg-dev xz-utils lvm2 xfsprogs attr acl libcap2-bin zstd lzop sqlite3 python3 file procps openssl diffutils genisoimage cpio zerofree groff-base zsh squashfs-tools f2fs-tools mdadm cryptsetup-bin scrub syslinux extlinux ldmtool inotify-tools systemd-journal-remote libmagic-mgc bzip2)
COMMANDS=(emcc qemu-system-x86_64 mkfs.ext4 e2fsck mkntfs ntfsfix mkfs.vfat mcopy qemu-img qemu-nbd nbdkit sfdisk sgdisk dpkg-source)

# Every package is checked (a machine set up for an older guestkit lacks the newer ones); without
# dpkg, the commands stand in for them.
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
  done
else
  for c in "${COMMANDS[@]}"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
fi
# The WASM builds take their C sources from Debian source packages (apt-get source).
need_src=0
if ! grep -rqs '^Types: deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then need_src=1; fi

if [ ${#missing[@]} -gt 0 ] || [ $need_src = 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    if [ $need_src = 1 ]; then
      echo "setup: adding deb-src entries for bookworm (the WASM builds use Debian source packages)"
      cat > /etc/apt/sources.list.d/guestkit-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    echo "setup: installing Debian packages: ${PACKAGES[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}" >/dev/null
  else
    echo "setup: missing: ${missing[*]}" >&2
    echo "setup: as root, run:  apt-get install ${PACKAGES[*]}" >&2
    [ $need_src = 1 ] && echo "setup: and add a deb-src line for bookworm to /etc/apt/sources.list, then apt-get update" >&2
    exit 1
  fi
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "setup: building TypeScript"
npm run --silent build
echo "setup: building WebAssembly modules"
bash wasm/ext2fs/build.sh
bash wasm/ntfs/build.sh
bash wasm/augeas/build.sh
bash wasm/zstd/build.sh
echo "setup: making fixtures"
bash fixtures/make-all.sh
echo "setup: done. Try: node dist/bundle/guestkit.cjs cat -a fixtures/out/debian.qcow2 -m /dev/sda2 /etc/hostname"
