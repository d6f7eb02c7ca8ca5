# frozen_string_literal: true

require "openssl"
require "tmpdir"

# A throwaway CA with a server certificate (localhost, 127.0.0.1) and a
# client certificate, written as PEM files into a temporary directory.
class Certificates
  attr_reader :dir

  def initialize
    @dir = Dir.mktmpdir("zizq-tls")
    ca_key = new_key
    @ca = certificate("CN=zizq test CA", ca_key, ca_key, nil, ca: true)
    write("ca.pem", @ca.to_pem)
    issue("server", "CN=localhost", ca_key, usage: "serverAuth", alt_names: "DNS:localhost,IP:127.0.0.1")
    issue("client", "CN=zizq test client", ca_key, usage: "clientAuth")
  end

  def path(name)
    File.join(@dir, name)
  end

  def read(name)
    File.read(path(name))
  end

  def remove
    FileUtils.remove_entry(@dir)
  end

  private

  def issue(name, subject, ca_key, usage:, alt_names: nil)
    key = new_key
    cert = certificate(subject, key, ca_key, @ca, usage: usage, alt_names: alt_names)
    write("#{name}.pem", cert.to_pem)
    write("#{name}-key.pem", key.private_to_pem)
  end

  def new_key
    OpenSSL::PKey::EC.generate("prime256v1")
  end

  def certificate(subject, key, signing_key, issuer, ca: false, usage: nil, alt_names: nil)
    cert = OpenSSL::X509::Certificate.new
    cert.version = 2
    cert.serial = rand(1 << 64)
    cert.subject = OpenSSL::X509::Name.parse(subject)
    cert.issuer = issuer ? issuer.subject : cert.subject
    cert.public_key = key
    cert.not_before = Time.now - 60
    cert.not_after = Time.now + 3600
    extensions = OpenSSL::X509::ExtensionFactory.new(issuer || cert, cert)
    cert.add_extension(extensions.create_extension("basicConstraints", ca ? "CA:TRUE" : "CA:FALSE", true))
    cert.add_extension(extensions.create_extension("keyUsage", ca ? "keyCertSign,cRLSign" : "digitalSignature", true))
    cert.add_extension(extensions.create_extension("extendedKeyUsage", usage)) if usage
    cert.add_extension(extensions.create_extension("subjectAltName", alt_names)) if alt_names
    cert.sign(signing_key, OpenSSL::Digest.new("SHA256"))
    cert
  end

  def write(name, text)
    File.write(path(name), text)
  end
end
