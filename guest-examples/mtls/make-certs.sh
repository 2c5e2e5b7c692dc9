#!/bin/sh
# Make test certificates for trying weft's mTLS: a CA, a server certificate for
# localhost and 127.0.0.1, and a client certificate, all signed by that CA, in the
# folder given (default ./certs). Keys are unencrypted: for trying, not production.
#
#   sh guest-examples/mtls/make-certs.sh certs
set -eu
dir=${1:-certs}
mkdir -p "$dir"
cd "$dir"

# The CA: one self-signed certificate that signs the others.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj "/CN=weft test CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# The server's certificate: the names clients connect to.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -keyout server.key -out server.csr
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
  -extfile server.ext -out server.pem

# The client's certificate (for `weft --tls-cert`).
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=weft-cli" -keyout client.key -out client.csr
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
  -extfile client.ext -out client.pem

rm -f server.csr server.ext client.csr client.ext ca.srl
echo "made $dir/ca.pem, $dir/server.pem + server.key, $dir/client.pem + client.key"
