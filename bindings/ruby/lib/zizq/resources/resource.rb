# frozen_string_literal: true

module Zizq
  module Resources
    # Base of the objects the client returns: a server document (string
    # keys, times in ms) with readers that convert to Ruby shapes, and the
    # client for follow-up calls.
    class Resource
      attr_reader :client

      def initialize(client, data)
        @client = client
        @data = data
      end

      # The server's document, as received.
      def to_h
        data
      end

      def ==(other)
        other.instance_of?(self.class) && other.to_h == data
      end

      # The client is left out: it is noise next to the data.
      def inspect
        "#<#{self.class} #{data.inspect}>"
      end

      private

      # The document, read through here so that a subclass may decode it late.
      def data = @data

      def seconds(key)
        Wire.seconds(data[key])
      end
    end
  end
end
