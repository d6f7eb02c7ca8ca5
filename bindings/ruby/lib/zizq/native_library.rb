# frozen_string_literal: true

module Zizq
  # Finds the libzizq shared library this gem loads.
  module NativeLibrary
    # Where `rake gem` puts the library the platform gem carries.
    BUNDLED = File.expand_path("native/libzizq.so", __dir__)

    # `ZIZQ_LIB` wins so a developer can point an installed gem at a fresh
    # build; otherwise the copy bundled inside the gem is used.
    def self.path
      explicit = ENV.fetch("ZIZQ_LIB", "")
      unless explicit.empty?
        return explicit if File.file?(explicit)

        raise LoadError, "ZIZQ_LIB points to #{explicit.inspect}, which is not a file"
      end
      return BUNDLED if File.file?(BUNDLED)

      raise LoadError,
            "libzizq.so not found: set ZIZQ_LIB to its path, or install a zizq gem " \
            "that bundles it (expected at #{BUNDLED})"
    end
  end
end
