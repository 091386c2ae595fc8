# shellcheck shell=bash
# TLS material for the TLS tests, made once and kept in TLS_DIR: a test CA, a
# server certificate for 127.0.0.1/localhost (engine C's --tlsverify listener
# and RabbitMQ's amqps:// listener on 5671), a client certificate, and a
# second, unrelated CA (to prove a worker refuses an engine whose certificate
# it cannot verify).

readonly TLS_DIR=$DATA_DIR/tls

ensure_tls() {
  [[ -f $TLS_DIR/other-ca.pem ]] && return 0
  log "tls: generating a test CA and certificates in $TLS_DIR"
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=docker-dispatch test CA' \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server-ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile server-ext.cnf -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=docker-dispatch worker' -keyout key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client-ext.cnf
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile client-ext.cnf -out cert.pem 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=some other CA' \
      -keyout other-ca-key.pem -out other-ca.pem 2>/dev/null
    chmod 0644 ./*.pem
  )
}
