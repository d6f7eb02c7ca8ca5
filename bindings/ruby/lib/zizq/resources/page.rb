# frozen_string_literal: true

module Zizq
  module Resources
    # A page of a paginated list; follows the server's page links.
    class Page < Resource
      include Enumerable

      def each(&block)
        items.each(&block)
      end

      # Enumerable#to_h would shadow Resource#to_h.
      def to_h
        @data
      end

      def has_next? = !@data.dig("pages", "next").nil?
      def has_prev? = !@data.dig("pages", "prev").nil?

      # The next page, or nil on the last one.
      def next_page
        follow("next")
      end

      # The previous page (items nearest first), or nil on the first one.
      def prev_page
        follow("prev")
      end

      def inspect
        "#<#{self.class} items=#{items.inspect} pages=#{@data['pages'].inspect}>"
      end

      private

      def follow(link)
        path = @data.dig("pages", link) or return nil
        self.class.new(client, client.get_path(path))
      end
    end
  end
end
