# frozen_string_literal: true

require "openssl"
require_relative "test_helper"
require_relative "support/certificates"

# TLS settings reach libzizq's rustls: `tls:` (PEM text or files) and
# `ssl_context:` (its CA file, certificate and key).
class TlsTest < Minitest::Test
  include ZizqTestHelpers

  def self.certificates
    @certificates ||= Certificates.new.tap { |certs| at_exit { certs.remove } }
  end

  def certs
    self.class.certificates
  end

  def test_https_to_a_plain_http_server_is_a_connection_error
    plain = Zizq::Client.new(url: server.url.sub("http://", "https://"), format: FORMAT,
                             tls: { ca: certs.read("ca.pem") })
    assert_raises(Zizq::ConnectionError) { plain.health }
  ensure
    plain&.close
  end

  def test_unreadable_ca_file_is_a_clear_argument_error
    error = assert_raises(ArgumentError) do
      Zizq::Client.new(url: "https://127.0.0.1:1", tls: { ca: "/nonexistent/ca.pem" })
    end
    assert_match(%r{cannot read CA file "/nonexistent/ca.pem"}, error.message)
    context = OpenSSL::SSL::SSLContext.new
    context.ca_file = "/nonexistent/context-ca.pem"
    assert_raises(ArgumentError) { Zizq::Client.new(url: "https://127.0.0.1:1", ssl_context: context) }
  end

  def test_bad_settings_are_refused
    garbage = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    assert_raises(Zizq::ConnectionError) { Zizq::Client.new(url: "https://127.0.0.1:1", tls: { ca: garbage }) }
    assert_raises(ArgumentError) do
      Zizq::Client.new(url: "https://127.0.0.1:1", tls: { client_cert: certs.path("client.pem") })
    end
    assert_raises(ArgumentError) { Zizq::Client.new(url: "https://127.0.0.1:1", tls: { colour: "red" }) }
  end

  def test_tls_server_with_pem_text_and_with_an_ssl_context
    tls_server = start_tls_server
    by_pem = Zizq::Client.new(url: tls_server.url, format: FORMAT, tls: { ca: certs.read("ca.pem") })
    assert_round_trip(by_pem)

    context = OpenSSL::SSL::SSLContext.new
    context.ca_file = certs.path("ca.pem")
    by_context = Zizq::Client.new(url: tls_server.url, format: FORMAT, ssl_context: context)
    assert_equal({ "status" => "ok" }, by_context.health)

    untrusting = Zizq::Client.new(url: tls_server.url, format: FORMAT)
    assert_raises(Zizq::ConnectionError) { untrusting.health }
  ensure
    [by_pem, by_context, untrusting].compact.each(&:close)
    tls_server&.stop
  end

  def test_mutual_tls_with_files_and_with_an_ssl_context
    tls_server = start_tls_server("--tls-client-ca", certs.path("ca.pem"))
    by_files = Zizq::Client.new(url: tls_server.url, format: FORMAT,
                                tls: { ca: certs.path("ca.pem"), client_cert: certs.path("client.pem"),
                                       client_key: certs.path("client-key.pem") })
    assert_round_trip(by_files)

    context = OpenSSL::SSL::SSLContext.new
    context.ca_file = certs.path("ca.pem")
    context.cert = OpenSSL::X509::Certificate.new(certs.read("client.pem"))
    context.key = OpenSSL::PKey.read(certs.read("client-key.pem"))
    by_context = Zizq::Client.new(url: tls_server.url, format: FORMAT, ssl_context: context)
    assert_equal({ "status" => "ok" }, by_context.health)

    anonymous = Zizq::Client.new(url: tls_server.url, format: FORMAT, tls: { ca: certs.path("ca.pem") })
    assert_raises(Zizq::ConnectionError) { anonymous.health }
  ensure
    [by_files, by_context, anonymous].compact.each(&:close)
    tls_server&.stop
  end

  private

  def start_tls_server(*args)
    require_own_server
    TestServer.spawn("--tls-cert", certs.path("server.pem"), "--tls-key", certs.path("server-key.pem"), *args)
  end

  # A request, and a take stream (a separate HTTP/1.1 connection) with an ack.
  def assert_round_trip(tls_client)
    assert_equal({ "status" => "ok" }, tls_client.health)
    tls_client.enqueue(queue: "tls", type: "t", payload: { "secure" => true })
    tls_client.take_jobs do |job|
      assert_equal({ "secure" => true }, job.payload)
      tls_client.ack(job.id)
      break
    end
    assert_equal 0, tls_client.count_jobs
  end
end
