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
  end
end
