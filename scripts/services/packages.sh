# shellcheck shell=bash
# Packages: installs from Debian (apt) whatever the services need and lacks -
# dockerd and its CLI, RabbitMQ, a static busybox for the test image, openssl,
# Chromium (status page test). Only runs apt when something is
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

ensure_packages() {
  local missing_base
  missing_base=$(missing_base_tools)
  [[ -n $missing_base ]] || return 0

  log "missing: ${missing_base}- installing with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for (rather than fail on) another apt/dpkg run holding the lock.
  local apt_opts=(-q -o DPkg::Lock::Timeout=600)
  apt-get "${apt_opts[@]}" update || log "warning: apt-get update failed; trying the install anyway"
  # Without systemd the packages' postinst scripts may fail to start their
  # services, which makes apt-get exit non-zero although the binaries are in
  # place. That is fine: we start our own instances. Whether the install really
  # worked is decided by re-checking the tools.
  apt-get "${apt_opts[@]}" install -y docker.io rabbitmq-server busybox-static openssl chromium ||
    log "warning: apt-get install reported errors (typically a postinst failing to start a service); checking the tools"
  missing_base=$(missing_base_tools)
  [[ -z $missing_base ]] || die "still missing after apt-get install: $missing_base"
}
