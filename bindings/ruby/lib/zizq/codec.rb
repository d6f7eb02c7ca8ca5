# frozen_string_literal: true

require "json"
require "msgpack"

module Zizq
  # Documents crossing the C boundary are bytes in the client's format:
  # MessagePack or JSON. Symbols become strings on the way out; documents
  # come back with string keys, as the seed's client returns them.
  module Codec
    # Compatibility mode packs every String as a MessagePack str, whatever
    # its encoding: the server refuses bin, and binary-encoded text (as read
    # from files and sockets) then works as it does with JSON.
    def self.encode(format, value)
      format == :json ? JSON.generate(value) : MessagePack.pack(value, compatibility_mode: true)
    end

    def self.decode(format, bytes)
      format == :json ? JSON.parse(bytes) : MessagePack.unpack(bytes)
    end

    # An error body arrives without its content type and may be JSON,
    # MessagePack or plain text (the server answers some 400s and every 406
    # in a format other than the client's). A MessagePack map starts with a
    # byte JSON text never starts with. Like the seed, a body that does not
    # decode gives nil.
    def self.decode_error_body(bytes)
      return nil if bytes.empty?

      first = bytes.getbyte(0)
      return MessagePack.unpack(bytes) if (0x80..0x8f).cover?(first) || [0xde, 0xdf].include?(first)

      JSON.parse(bytes)
    rescue JSON::ParserError, MessagePack::UnpackError, EOFError
      nil
    end
  end
end
