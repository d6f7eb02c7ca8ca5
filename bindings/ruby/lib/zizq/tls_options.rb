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
      return options unless tls

      # A `tls:` setting wins over the context's for the same item.
      given = from_hash(**tls.transform_keys(&:to_sym))
      given.each_key do |name|
        options.delete(:"#{name}_file")
        options.delete(:"#{name}_pem")
      end
      options.merge(given)
    end

    # libzizq tells PEM text (by its armour) from a file path itself.
    def self.from_hash(ca: nil, client_cert: nil, client_key: nil)
      { ca: ca, client_cert: client_cert, client_key: client_key }.compact.transform_values(&:to_s)
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
    private_class_method :from_hash, :from_context
  end
end
