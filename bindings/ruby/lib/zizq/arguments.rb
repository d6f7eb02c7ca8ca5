# frozen_string_literal: true

module Zizq
  # Checks of the arguments the client passes to libzizq as C strings (ids,
  # names, paths, the URL), integers and lists, so that a wrong type is a
  # TypeError rather than its `to_s` (nil is not the id "", 12 is not the
  # id "12").
  # Empty strings, NUL bytes and invalid UTF-8 are left to ruby-ffi and
  # libzizq, which refuse them with an ArgumentError.
  module Arguments
    # A String; a Symbol stands for its name.
    def self.string(value, name)
      return value if value.is_a?(String)
      return value.to_s if value.is_a?(Symbol)

      raise TypeError, "#{name} must be a String, not #{value.inspect}"
    end

    # An Array (or any Enumerable) of values, as an Array.
    def self.list(value, name)
      raise TypeError, "#{name} must be an Array, not #{value.inspect}" unless value.is_a?(Enumerable)

      value.to_a
    end

    # An Integer that fits a C uint32_t.
    def self.uint32(value, name)
      raise TypeError, "#{name} must be an Integer, not #{value.inspect}" unless value.is_a?(Integer)
      raise ArgumentError, "#{name} must be between 0 and #{2**32 - 1}, got #{value}" unless value.between?(0, 2**32 - 1)

      value
    end
  end
end
