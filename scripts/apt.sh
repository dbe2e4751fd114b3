#!/usr/bin/env bash
# Sourced by the install scripts: apt-get that waits for another install to finish instead of
# failing at once ("Could not get lock /var/lib/dpkg/lock-frontend"), as a fresh machine
# often runs its own updates just after boot. `install` waits through apt's own
# DPkg::Lock::Timeout; `update` does not honour it for the package lists' lock, so it is
# tried again every 5 seconds while that lock is held. Both give up after 10 minutes.

APT_LOCK_WAIT=${APT_LOCK_WAIT:-600}

apt_update() {
  local waited=0 output
  while true; do
    if output=$(apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" update -qq 2>&1); then
      return 0
    fi
    if ! grep -q "Could not get lock" <<<"$output" || [ "$waited" -ge "$APT_LOCK_WAIT" ]; then
      echo "$output" >&2
      return 1
    fi
    [ "$waited" -gt 0 ] || echo "Another program is installing packages; waiting for it to finish..."
    sleep 5
    waited=$((waited + 5))
  done
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" \
    install -y -qq -o Dpkg::Use-Pty=0 "$@"
}
