#!/usr/bin/env bash
# Checks `ember serve --web.config.file` with real clients on loopback. curl over TLS gets 200 with
# the right password and 401 with a wrong or missing one. Plain HTTP to the TLS port gets 400 while
# the agent keeps serving. `openssl s_client` negotiates TLS 1.3 and TLS 1.2 and fails with TLS 1.1.
# A Prometheus server scrapes over TLS with basic auth, and a broken web config stops start-up with
# exit status 2. OpenSSL and libxcrypt are loaded only when the web config needs them. The binary does
# not link them, an agent without a web config maps neither, and one with basic auth alone maps only
# libxcrypt. A library without the expected functions stops start-up with exit status 2.
# Certificates and the bcrypt hash are made in a temporary directory that is removed at exit.
# Usage: tls-check.sh EMBER_BINARY
set -euo pipefail
ember=${1:?usage: tls-check.sh EMBER_BINARY}
fixtures="$(cd "$(dirname "$0")/../Fixtures" && pwd)/node-exporter"
work=$(mktemp -d)
pid=""
prometheus_pid=""
cleanup() {
    for started in $pid $prometheus_pid; do
        kill "$started" 2>/dev/null || true
        wait "$started" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "tls-check: $*" >&2
    if [[ -f "$work/log" ]]; then tail -20 "$work/log" >&2; fi
    exit 1
}

cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
    -days 2 -subj /CN=ember-check-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
    -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "$RANDOM$RANDOM" -days 2 \
    -extfile server.ext -out server.crt 2>/dev/null

# Python's crypt module calls the same libxcrypt the agent uses; it exists up to Python 3.12.
hash=$(python3 -W ignore::DeprecationWarning -c \
    'import crypt; print(crypt.crypt("right horse", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))') \
    || fail "cannot make a bcrypt hash: python3 lacks the crypt module"
cat >web.yml <<CONFIG
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prometheus: '$hash'
CONFIG

"$ember" serve --web.config.file="$work/web.yml" --web.listen-address=127.0.0.1:0 --no-storage \
    --path.sysfs="$fixtures/sys" --path.procfs="$fixtures/proc" --log.level=debug >"$work/log" 2>&1 &
pid=$!
address=""
for _ in $(seq 50); do
    address=$(sed -n 's/.*msg="HTTP server listening".*address=\([0-9.:]*\).*/\1/p' "$work/log" | head -1)
    [[ -n "$address" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "ember serve exited at start"
    sleep 0.1
done
[[ -n "$address" ]] || fail "ember serve did not report its address"
url="https://$address/metrics"

status() {  # status CURL_ARGS... prints the HTTP status
    curl --silent --max-time 10 --cacert ca.crt --output /dev/null --write-out '%{http_code}' "$@" || true
}
# The first scrape may come before the first sample, so wait for a 200.
for _ in $(seq 50); do
    [[ $(status -u 'prometheus:right horse' "$url") == 200 ]] && break
    sleep 0.1
done
body=$(curl --silent --show-error --max-time 10 --cacert ca.crt -u 'prometheus:right horse' "$url") \
    || fail "curl over TLS with the right password failed"
grep -q '^# TYPE node_cpu_seconds_total counter$' <<<"$body" || fail "/metrics over TLS lacks node_cpu_seconds_total"
[[ $(status -u 'prometheus:wrong horse' "$url") == 401 ]] || fail "a wrong password did not get 401"
[[ $(status "$url") == 401 ]] || fail "a request without credentials did not get 401"

plain=$(curl --silent --max-time 10 "http://$address/metrics" || true)
grep -q 'HTTP request to an HTTPS server' <<<"$plain" || fail "plain HTTP to the TLS port got: $plain"
kill -0 "$pid" 2>/dev/null || fail "ember serve exited after a plain HTTP request"
[[ $(status -u 'prometheus:right horse' "$url") == 200 ]] || fail "no 200 over TLS after the plain HTTP request"

session=$(openssl s_client -connect "$address" -CAfile ca.crt </dev/null 2>&1) || fail "s_client failed: $session"
grep -q 'New, TLSv1.3, Cipher is' <<<"$session" || fail "s_client did not negotiate TLS 1.3"
grep -q 'Verify return code: 0 (ok)' <<<"$session" || fail "s_client did not verify the certificate"
session=$(openssl s_client -connect "$address" -CAfile ca.crt -tls1_2 </dev/null 2>&1) || fail "TLS 1.2 failed"
grep -q 'New, TLSv1.2, Cipher is' <<<"$session" || fail "s_client -tls1_2 did not negotiate TLS 1.2"
# OpenSSL 3 at its default security level fails TLS 1.1 handshakes even with min_version TLS10,
# because they sign with SHA-1. Only the "protocol version" alert shows that min_version rejected it.
session=$(openssl s_client -connect "$address" -CAfile ca.crt -tls1_1 </dev/null 2>&1) && fail "TLS 1.1 was accepted"
grep -q 'alert protocol version' <<<"$session" || fail "TLS 1.1 failed without the server's protocol version alert: $session"
kill -0 "$pid" 2>/dev/null || fail "ember serve exited during the checks"
for library in libssl.so.3 libcrypto.so.3 libcrypt.so; do
    grep -qF "/$library" "/proc/$pid/maps" || fail "ember serve with TLS and basic auth has not loaded $library"
done

# A real Prometheus scrapes over TLS with basic auth; a second job with a stale password must be down
# with a 401.
printf 'right horse' >password
printf 'old horse' >stale-password
cat >prometheus.yml <<CONFIG
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ember
    scheme: https
    tls_config:
      ca_file: $work/ca.crt
    basic_auth:
      username: prometheus
      password_file: $work/password
    static_configs:
      - targets: ['$address']
  - job_name: ember-stale-password
    scheme: https
    tls_config:
      ca_file: $work/ca.crt
    basic_auth:
      username: prometheus
      password_file: $work/stale-password
    static_configs:
      - targets: ['$address']
CONFIG
prometheus_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn 2>"$work/prometheus.log" &
prometheus_pid=$!
targets_ok() {
    curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/targets" 2>/dev/null | python3 -c '
import json, sys
targets = {t["labels"]["job"]: t for t in json.load(sys.stdin)["data"]["activeTargets"]}
good, stale = targets.get("ember"), targets.get("ember-stale-password")
sys.exit(0 if good and stale and good["health"] == "up" and stale["health"] == "down"
         and "401" in stale["lastError"] else 1)' 2>/dev/null
}
scraped=""
for _ in $(seq 60); do
    if targets_ok; then scraped=yes; break; fi
    sleep 1
done
kill "$prometheus_pid" 2>/dev/null || true
wait "$prometheus_pid" 2>/dev/null || true
prometheus_pid=""
[[ -n "$scraped" ]] || fail "Prometheus did not report the TLS job up and the stale-password job down with 401"

printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n' >broken.yml
set +e
"$ember" serve --web.config.file="$work/broken.yml" --web.listen-address=127.0.0.1:0 --no-storage \
    --log.level=error 2>broken.err
code=$?
set -e
[[ $code -eq 2 ]] || fail "a web config naming a missing key exited $code, expected 2"
grep -q 'failed to load key_file' broken.err || fail "the missing key was not named: $(cat broken.err)"

# The libraries are loaded with dlopen, never linked.
needed=$(readelf -d "$ember" | grep NEEDED || true)
if grep -qE 'libssl|libcrypto|libcrypt' <<<"$needed"; then
    fail "the binary links OpenSSL or libxcrypt: $needed"
fi
# The executable exports its symbols, so one named like a library function would replace it inside
# libssl and libcrypto too.
exported=$(nm -D --defined-only "$ember" | awk '{print $3}' \
    | grep -E '^(SSL|SSL_CTX|TLS|X509|ERR|BIO|EVP|PEM|ASN1|OPENSSL|GENERAL_NAMES|crypt)_' || true)
[[ -z "$exported" ]] || fail "the binary exports symbols named like OpenSSL or libxcrypt functions: $exported"

# serve_until_listening LOG ARGS... starts ember serve on the fixture and waits until it listens.
serve_until_listening() {
    local log=$1
    shift
    # Stops the agent started before, whose pid cleanup would otherwise lose.
    [[ -z "$pid" ]] || stop_serving
    "$ember" serve --web.listen-address=127.0.0.1:0 --no-storage --path.sysfs="$fixtures/sys" \
        --path.procfs="$fixtures/proc" "$@" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do
        grep -qs 'msg="HTTP server listening"' "$log" && return 0
        kill -0 "$pid" 2>/dev/null || fail "ember serve $* exited at start: $(cat "$log")"
        sleep 0.1
    done
    fail "ember serve $* did not report its address"
}

stop_serving() {
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
}

serve_until_listening plain.log
if grep -E 'libssl|libcrypto|libcrypt\.so' "/proc/$pid/maps"; then
    fail "ember serve without --web.config.file mapped OpenSSL or libxcrypt"
fi
stop_serving

printf "basic_auth_users:\n  prometheus: '%s'\n" "$hash" >auth-only.yml
serve_until_listening auth-only.log --web.config.file="$work/auth-only.yml"
grep -q '/libcrypt\.so' "/proc/$pid/maps" || fail "ember serve with basic auth has not loaded libxcrypt"
if grep -E 'libssl|libcrypto' "/proc/$pid/maps"; then
    fail "ember serve with basic auth and without TLS mapped OpenSSL"
fi
stop_serving

# A library under the expected soname that lacks OpenSSL's functions (zlib here) stops start-up.
mkdir fake-openssl
ln -s "$(ldconfig -p | sed -n 's/.*libz\.so\.1 (libc6[^)]*) => //p' | head -1)" fake-openssl/libssl.so.3
set +e
LD_LIBRARY_PATH="$work/fake-openssl" "$ember" serve --web.config.file="$work/web.yml" \
    --web.listen-address=127.0.0.1:0 --no-storage --log.level=error 2>fake.err
code=$?
set -e
[[ $code -eq 2 ]] || fail "a libssl.so.3 without OpenSSL's functions exited $code, expected 2: $(cat fake.err)"
grep -q 'libssl.so.3 has no function TLS_server_method' fake.err \
    || fail "the missing function was not named: $(cat fake.err)"
grep -q 'Install OpenSSL 3' fake.err || fail "the error did not say what to install: $(cat fake.err)"

# The same for basic auth, when no soname of libxcrypt has its functions.
mkdir fake-libxcrypt
ln -s "$(readlink -f fake-openssl/libssl.so.3)" fake-libxcrypt/libcrypt.so.1
ln -s "$(readlink -f fake-openssl/libssl.so.3)" fake-libxcrypt/libcrypt.so.2
set +e
LD_LIBRARY_PATH="$work/fake-libxcrypt" "$ember" serve --web.config.file="$work/auth-only.yml" \
    --web.listen-address=127.0.0.1:0 --no-storage --log.level=error 2>fake-crypt.err
code=$?
set -e
[[ $code -eq 2 ]] || fail "a libcrypt.so.1 without crypt_rn exited $code, expected 2: $(cat fake-crypt.err)"
grep -q 'libcrypt.so.1 has no function crypt_rn; libcrypt.so.2 has no function crypt_rn' fake-crypt.err \
    || fail "the missing function was not named for each soname: $(cat fake-crypt.err)"
grep -q 'Install libxcrypt' fake-crypt.err || fail "the error did not say what to install: $(cat fake-crypt.err)"
