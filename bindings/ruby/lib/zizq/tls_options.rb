# frozen_string_literal: true

module Zizq
  # Builds the `tls` client option of libzizq (rustls) from the Ruby
  # settings: `tls: {ca:, client_cert:, client_key:}` (each PEM text or a
  # path to a PEM file) and/or an `OpenSSL::SSL::SSLContext` whose CA file,
  # certificate and key are handed over. rustls always verifies the server
  # (a context's verify_mode is not consulted; OpenSSL's default for a new
  # context is VERIFY_NONE), and trusts the webpki roots when no CA is given.
  module TlsOptions
    def self.build(tls: nil, ssl_context: nil)
      return nil if tls.nil? && ssl_context.nil?

      options = ssl_context ? from_context(ssl_context) : {}
      options.merge!(from_hash(**tls.transform_keys(&:to_sym))) if tls
      options
    end

    def self.from_hash(ca: nil, client_cert: nil, client_key: nil)
      { **pem_or_file(:ca, ca), **pem_or_file(:client_cert, client_cert),
        **pem_or_file(:client_key, client_key) }
    end

    def self.from_context(context)
      options = {}
      options[:ca_file] = context.ca_file if context.ca_file
      if context.cert
        chain = [context.cert, *context.extra_chain_cert]
        options[:client_cert_pem] = chain.map(&:to_pem).join
      end
      options[:client_key_pem] = context.key.private_to_pem if context.key
      options
    end

    # PEM text is recognised by its armour; anything else is a file path.
    def self.pem_or_file(name, value)
      return {} if value.nil?

      value = value.to_s
      value.include?("-----BEGIN") ? { "#{name}_pem": value } : { "#{name}_file": value }
    end
    private_class_method :from_hash, :from_context, :pem_or_file
  end
end
