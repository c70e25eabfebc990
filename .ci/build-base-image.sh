#!/usr/bin/env bash
# Build a minimal local Java runtime base image with NO image registry:
# a jlink'ed JRE + the few glibc files it links, packed into a tar and `docker import`ed.
#
# Usage: .ci/build-base-image.sh [--force] [IMAGE]      (IMAGE defaults to llmemu/jre-base:local)
#
# - Skips the build if IMAGE exists and was built by this exact script from the same JDK
#   (label dev.llmemu.jre-base.recipe); --force always rebuilds.
# - JDK: $JLINK_JDK if set, else the newest Temurin 25 under /usr/lib/jvm, else the default
#   JDK (17). If jlink fails with one JDK, the next candidate is tried.
# - The image has no shell. Run things in exec form: ["java", ...]. Runs as uid/gid 10001
#   (user "llmemu"), WORKDIR /app, JAVA_HOME=/opt/java.
# Quiet on success; on failure prints what went wrong and exits non-zero. Needs root and a
# running Docker engine (.ci/install-docker.sh). KEEP_WORK=1 keeps the work dir for debugging.
set -euo pipefail

readonly DEFAULT_IMAGE="llmemu/jre-base:local"
# Modules for a Netty HTTP server + Jackson + picocli + Prometheus client + JTokkit app:
#   java.base                   everything
#   java.logging                Netty's default InternalLogger (JUL), Prometheus exposition
#   java.management             Netty (ManagementFactory), JVM metrics
#   jdk.management              com.sun.management.* for Prometheus JVM metrics, container-aware OS MXBean
#   jdk.unsupported             sun.misc.Unsafe for Netty (fast buffers), JTokkit/Jackson fast paths
#   java.naming                 Netty SslHandler/hostname checks (javax.naming.ldap)
#   java.net.http               java.net.http.HttpClient (health checks, clients)
#   jdk.crypto.ec               EC TLS cipher suites on 17 (an empty module on 22+; harmless)
#   jdk.zipfs                   FileSystems.newFileSystem(jar) - listing bundled resources in a jar
#   jdk.httpserver              com.sun.net.httpserver (Prometheus' HTTPServer exporter, test fixtures)
# Deliberately NOT included: java.desktop, java.sql, java.xml (Jackson only needs them for
# java.beans/java.sql/DOM types, loaded lazily), jdk.jfr (Netty's optional JFR events),
# jdk.jcmd/jdk.attach (tools), jdk.compiler (so no `java Foo.java` source launching).
readonly MODULES="java.base,java.logging,java.management,jdk.management,jdk.unsupported,java.naming,java.net.http,jdk.crypto.ec,jdk.zipfs,jdk.httpserver"
readonly APP_UID=10001
readonly APP_USER=llmemu

self="${BASH_SOURCE[0]}"
die() { echo "build-base-image.sh: ERROR: $*" >&2; exit 1; }

force=0
image=""
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$self"; exit 0 ;;
    -*) die "unknown option '$arg' (usage: $0 [--force] [IMAGE])" ;;
    *) [ -z "$image" ] || die "more than one image name given ('$image', '$arg')"; image="$arg" ;;
  esac
done
image="${image:-$DEFAULT_IMAGE}"

[ "$(id -u)" -eq 0 ] || die "must run as root (the image tree needs root-owned files and a uid 10001 home)"
command -v docker >/dev/null 2>&1 || die "'docker' not found - run .ci/install-docker.sh first"
docker info >/dev/null 2>&1 || die "Docker engine does not answer 'docker info' - run .ci/install-docker.sh first"
[ "$(uname -m)" = "x86_64" ] || die "only x86_64 is supported (got $(uname -m))"

# ---- JDK candidates ------------------------------------------------------------------------
candidates=()
if [ -n "${JLINK_JDK:-}" ]; then
  [ -x "$JLINK_JDK/bin/jlink" ] || die "JLINK_JDK=$JLINK_JDK has no bin/jlink"
  candidates+=("$JLINK_JDK")
else
  while IFS= read -r d; do
    if [ -x "$d/bin/jlink" ]; then candidates+=("$d"); fi
  done < <(ls -1d /usr/lib/jvm/temurin-25* 2>/dev/null | sort -rV)
  default_jdk=""
  if command -v jlink >/dev/null 2>&1; then
    default_jdk="$(dirname "$(dirname "$(readlink -f "$(command -v jlink)")")")"
  elif [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/jlink ]; then
    default_jdk=/usr/lib/jvm/java-17-openjdk-amd64
  fi
  if [ -n "$default_jdk" ]; then
    dup=0
    for c in "${candidates[@]+"${candidates[@]}"}"; do
      if [ "$c" -ef "$default_jdk" ]; then dup=1; fi
    done
    if [ "$dup" -eq 0 ]; then candidates+=("$default_jdk"); fi
  fi
fi
[ "${#candidates[@]}" -gt 0 ] || die "no JDK with jlink found (looked for /usr/lib/jvm/temurin-25*, the default JDK); set JLINK_JDK"

# ---- Skip if already built from the same recipe --------------------------------------------
recipe="$( { cat "$self"; for c in "${candidates[@]}"; do echo "$c"; cat "$c/release" 2>/dev/null || true; done; } \
           | sha256sum | cut -c1-16)"
if [ "$force" -eq 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  have="$(docker image inspect -f '{{ index .Config.Labels "dev.llmemu.jre-base.recipe" }}' "$image" 2>/dev/null || true)"
  if [ "$have" = "$recipe" ]; then exit 0; fi
fi

# ---- Work area -----------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/llmemu-jre-base.XXXXXX")"
tmp_tag="llmemu-jre-base-tmp:$$-$RANDOM"
cleanup() {
  docker rmi "$tmp_tag" >/dev/null 2>&1 || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
log="$work/step.log"

# run_step DESCRIPTION CMD...: run quietly; on failure show the output and exit.
run_step() {
  local desc="$1"; shift
  if ! "$@" >"$log" 2>&1; then
    echo "build-base-image.sh: ERROR: $desc failed:" >&2
    sed 's/^/  | /' "$log" >&2
    exit 1
  fi
}

# ---- jlink -------------------------------------------------------------------------------
jre="" jdk="" java_version=""
failures=""
for cand in "${candidates[@]}"; do
  java_version="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$cand/release" 2>/dev/null || true)"
  feature="${java_version%%.*}"
  [[ "$feature" =~ ^[0-9]+$ ]] || feature="$("$cand/bin/java" -XshowSettings:properties -version 2>&1 \
                                              | sed -n 's/^ *java.specification.version = //p')"
  if [ "${feature:-0}" -ge 21 ]; then compress="--compress=zip-6"; else compress="--compress=2"; fi
  out="$work/jre-$(basename "$cand")"
  if "$cand/bin/jlink" --add-modules "$MODULES" \
        --strip-debug --no-header-files --no-man-pages "$compress" \
        --generate-cds-archive \
        --output "$out" >"$work/jlink.log" 2>&1 \
     && "$out/bin/java" -Xshare:auto -version >>"$work/jlink.log" 2>&1; then
    jre="$out"; jdk="$cand"; break
  fi
  failures+=$'\n'"---- jlink with $cand ----"$'\n'"$(cat "$work/jlink.log")"
  rm -rf "$out"
done
[ -n "$jre" ] || die "jlink failed with every JDK candidate:$failures"
# The no-compressed-oops CDS archive is only used with heaps >= 32 GiB; 14 MB we do not need.
rm -f "$jre/lib/server/classes_nocoops.jsa"

# ---- Root file system ----------------------------------------------------------------------
root="$work/rootfs"
libdir="$root/usr/lib/x86_64-linux-gnu"
mkdir -p "$root/opt" "$libdir" "$root/usr/lib64" "$root/usr/bin" "$root/etc" "$root/tmp" \
         "$root/app" "$root/home/$APP_USER" "$root/proc" "$root/sys" "$root/dev" "$root/usr/share/doc"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s usr/bin "$root/bin"
cp -a "$jre" "$root/opt/java"

# Shared libraries: everything the ELF files of the JRE link (resolved via ldd), plus the
# dynamic loader, plus libgcc_s (glibc dlopens it for thread cancellation / unwinding).
declare -A libs=()
while IFS= read -r -d '' f; do
  head -c 4 "$f" 2>/dev/null | grep -q $'^\x7fELF' || continue
  deps="$(LD_LIBRARY_PATH="$jre/lib:$jre/lib/server" ldd "$f" 2>&1)" \
    || die "ldd failed on $f: $deps"
  if grep -q 'not found' <<<"$deps"; then
    die "$f links a library that cannot be found:"$'\n'"$deps"
  fi
  while read -r lib; do
    case "$lib" in "$jre"/*|"") continue ;; esac
    libs["$lib"]=1
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' <<<"$deps")
done < <(find "$jre" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \) -print0)
for extra in /lib/x86_64-linux-gnu/libgcc_s.so.1; do
  if [ -e "$extra" ]; then libs["$extra"]=1; fi
done
[ "${#libs[@]}" -gt 0 ] || die "ldd reported no libraries for the JRE - cannot build the image"

interp=""
for lib in "${!libs[@]}"; do
  cp -L "$lib" "$libdir/$(basename "$lib")"
  case "$(basename "$lib")" in ld-linux-x86-64.so.2) interp="$lib" ;; esac
  # licence texts of the Debian packages we redistribute binaries from
  pkg="$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
  if [ -z "$pkg" ]; then pkg="$(dpkg -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1 || true)"; fi
  if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
    mkdir -p "$root/usr/share/doc/$pkg"
    cp -L "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
  fi
done
[ -n "$interp" ] || die "no ld-linux-x86-64.so.2 among the libraries ldd reported"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/usr/lib64/ld-linux-x86-64.so.2"

# UTF-8 locale so that LANG=C.UTF-8 works (stdout/file-name encoding on JDK 17).
if [ -d /usr/lib/locale/C.utf8 ]; then
  mkdir -p "$root/usr/lib/locale"
  cp -a /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
fi

# Users, groups, name service. (glibc >= 2.34 has the files/dns NSS modules built in.)
cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
$APP_USER:x:$APP_UID:$APP_UID:$APP_USER:/home/$APP_USER:/sbin/nologin
EOF
cat >"$root/etc/group" <<EOF
root:x:0:
$APP_USER:x:$APP_UID:
EOF
cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd: files
group:  files
shadow: files
hosts:  files dns
EOF
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

chown -R 0:0 "$root"
chown "$APP_UID:$APP_UID" "$root/home/$APP_USER"
chmod 0755 "$root/home/$APP_USER" "$root/app"
chmod 1777 "$root/tmp"

# ---- Import ---------------------------------------------------------------------------------
java_version="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$root/opt/java/release" || true)"
changes=(
  -c 'ENV PATH=/opt/java/bin:/usr/bin:/bin'
  -c 'ENV JAVA_HOME=/opt/java'
  -c 'ENV LANG=C.UTF-8'
  -c "USER $APP_UID:$APP_UID"
  -c 'WORKDIR /app'
  -c 'CMD ["java", "-version"]'
  -c "LABEL dev.llmemu.jre-base.recipe=$recipe"
  -c "LABEL dev.llmemu.jre-base.java-version=$java_version"
  -c "LABEL dev.llmemu.jre-base.modules=$MODULES"
  -c "LABEL org.opencontainers.image.description=\"jlinked Java $java_version runtime from $(basename "$jdk"), no shell, uid $APP_UID\""
)
import_image() {
  tar --numeric-owner -C "$root" -cf - . | docker import "${changes[@]}" - "$tmp_tag"
}
run_step "docker import" import_image

# Smoke test of the imported image, as the image's default (non-root) user, no network.
check_image() {
  local out
  out="$(docker run --rm --network none "$tmp_tag" java -XshowSettings:properties -version 2>&1)" \
    || { echo "$out"; return 1; }
  grep -q "user.name = $APP_USER" <<<"$out" || { echo "$out"; echo "expected user.name = $APP_USER"; return 1; }
}
run_step "smoke test 'docker run $tmp_tag java -version'" check_image
old_id="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
run_step "tagging $image" docker tag "$tmp_tag" "$image"
# Drop the image this one replaces, unless something still uses it (best effort).
new_id="$(docker image inspect -f '{{.Id}}' "$image")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker rmi "$old_id" >/dev/null 2>&1 || true
fi
