#!/usr/bin/env bash
# Cross-compile static flamock binaries for a release, with SHA-256 sums.
#
#   scripts/release.sh VERSION [GOOS/GOARCH ...]
#
# Default targets: linux, darwin and windows on amd64 and arm64. The binaries
# go to dist/VERSION/ as flamock-VERSION-GOOS-GOARCH[.exe], beside SHA256SUMS
# (check with `sha256sum -c SHA256SUMS` in that folder). Each is built with
# CGO_ENABLED=0 (no libc, runs on any distribution and in a FROM scratch
# image) and -trimpath, and `flamock version` prints VERSION and the commit.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [[ $1 == -* ]]; then
  echo "usage: scripts/release.sh VERSION [GOOS/GOARCH ...]" >&2
  exit 2
fi
version=$1
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)
fi

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "release: warning: the work tree has uncommitted changes; commit $commit does not describe them" >&2
fi

out=dist/$version
rm -rf "$out"
mkdir -p "$out"
ldflags="-s -w -X main.releaseVersion=$version -X main.releaseCommit=$commit"
for t in "${targets[@]}"; do
  os=${t%/*}
  arch=${t#*/}
  name=flamock-$version-$os-$arch
  [ "$os" = windows ] && name=$name.exe
  echo "release: $name" >&2
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$out/$name" ./cmd/flamock
done
(cd "$out" && sha256sum flamock-* > SHA256SUMS && cat SHA256SUMS)
