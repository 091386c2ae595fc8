# shellcheck shell=bash
# Packages: installs from Debian (apt) whatever the services need and lacks -
# dockerd and its CLI, RabbitMQ, a static busybox for the test image, openssl,
# Chromium (status page test), and Podman. Only runs apt when something is
# missing, so a warm run costs nothing. (docker-registry is installed by
# registry.sh, on first use.)

# Debian's plain `busybox` package also provides /bin/busybox but links it
# dynamically, which is useless inside a rootfs without libc. ldd exits 0 only
# for dynamic executables.
have_static_busybox() { [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1; }

missing_base_tools() {
  local tool
  for tool in dockerd containerd runc rabbitmq-server rabbitmqctl rabbitmq-diagnostics openssl; do
    command -v "$tool" >/dev/null 2>&1 || printf '%s ' "$tool"
  done
  have_static_busybox || printf '%s ' 'busybox(static)'
  [[ -x /usr/bin/docker ]] || command -v docker >/dev/null 2>&1 || printf '%s ' docker
  # Debian's Chromium, for the status page test (headless, driven by playwright-core).
  [[ -x /usr/bin/chromium ]] || printf '%s ' chromium
}

missing_podman_tools() {
  local tool
  for tool in podman conmon; do
    command -v "$tool" >/dev/null 2>&1 || printf '%s ' "$tool"
  done
}

ensure_packages() {
  local missing_base missing_podman
  missing_base=$(missing_base_tools)
  missing_podman=$(missing_podman_tools)
  [[ -n $missing_base$missing_podman ]] || return 0

  log "missing: ${missing_base}${missing_podman}- installing with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for (rather than fail on) another apt/dpkg run holding the lock.
  local apt_opts=(-q -o DPkg::Lock::Timeout=600)
  apt-get "${apt_opts[@]}" update || log "warning: apt-get update failed; trying the install anyway"
  # Without systemd the packages' postinst scripts may fail to start their
  # services, which makes apt-get exit non-zero although the binaries are in
  # place. That is fine: we start our own instances. Whether the install really
  # worked is decided by re-checking the tools.
  if [[ -n $missing_base ]]; then
    apt-get "${apt_opts[@]}" install -y docker.io rabbitmq-server busybox-static openssl chromium ||
      log "warning: apt-get install reported errors (typically a postinst failing to start a service); checking the tools"
  fi
  # Podman as root with vfs storage and no network needs none of its
  # recommends (buildah, fuse-overlayfs, slirp4netns, netavark, uidmap).
  if [[ -n $missing_podman ]]; then
    apt-get "${apt_opts[@]}" install -y --no-install-recommends podman ||
      log "warning: apt-get install podman reported errors; checking the tools"
  fi
  missing_base=$(missing_base_tools)
  missing_podman=$(missing_podman_tools)
  [[ -z $missing_base$missing_podman ]] || die "still missing after apt-get install: $missing_base$missing_podman"
}
