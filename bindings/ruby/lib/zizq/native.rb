# frozen_string_literal: true

require "ffi"
require "json"
require_relative "native_library"

module Zizq
  # The C API of libzizq (include/zizq.h), attached with ruby-ffi from the
  # description the loaded library gives of its own ABI
  # (`zizq_abi_description`), so that nothing here is copied from the header.
  #
  # Every function that can touch the network or wait is attached with
  # `blocking: true`, so the calling thread releases the GVL and other Ruby
  # threads keep running while it waits. Getters, frees and the calls that
  # return at once keep the GVL (releasing it would only add overhead).
  module Native
    extend FFI::Library

    # The ABI version this binding was written for (`ZIZQ_ABI_VERSION`).
    ABI_VERSION = 1

    ffi_lib NativeLibrary.path

    # Checked before anything else is attached: a library of another ABI may
    # lack functions, or have them with other signatures.
    attach_function :zizq_abi_version, [], :uint32
    found = zizq_abi_version
    unless found == ABI_VERSION
      raise LoadError,
            "#{NativeLibrary.path} has C ABI version #{found}, but this zizq gem " \
            "needs version #{ABI_VERSION}: install a matching libzizq"
    end

    attach_function :zizq_abi_description, [], :string
    # The loaded library's description of its ABI (include/zizq.abi.json):
    # the statuses, structs and functions below are declared from it.
    DESCRIPTION = JSON.parse(zizq_abi_description).freeze

    statuses = DESCRIPTION.fetch("statuses")
    enum :zizq_status, statuses.flat_map { |status| [status.fetch("name").to_sym, status.fetch("value")] }

    # Each status's kind of failure (e.g. `ZIZQ_E_NOT_FOUND: :not_found`),
    # which picks the exception class (Errors::CLASSES).
    CATEGORIES = statuses.to_h { |s| [s.fetch("name").to_sym, s.fetch("category").to_sym] }.freeze

    # The document formats by lower-case name, as taken by `zizq_parser_new`
    # and returned by `zizq_error_body_format` (which gives
    # `ZIZQ_FORMAT_NONE`, left out here, for a body that is not a document).
    FORMATS = DESCRIPTION.fetch("enums").fetch("zizq_format")
                         .to_h { |name, value| [name.delete_prefix("ZIZQ_FORMAT_").downcase.to_sym, value] }
                         .except(:none)
                         .freeze

    SCALARS = {
      "void" => :void, "bool" => :bool, "int32_t" => :int32, "int64_t" => :int64,
      "uint16_t" => :uint16, "uint32_t" => :uint32, "uint64_t" => :uint64, "size_t" => :size_t,
      "zizq_status" => :zizq_status, "zizq_format" => :int32,
      "const char *" => :string
    }.freeze
    private_constant :SCALARS

    # The ruby-ffi type for a C type of the description (nil if unknown).
    # Documents passed in are read from Ruby strings in place (:buffer_in);
    # every other pointer (handles, out-parameters, callbacks) is a pointer.
    def self.ffi_type(c_type, returned: false)
      return :buffer_in if c_type == "const uint8_t *" && !returned
      return :pointer if c_type.end_with?("*") && c_type != "const char *"

      SCALARS.fetch(c_type) { DESCRIPTION.fetch("callbacks").key?(c_type) ? :pointer : nil }
    end

    # A struct's layout from the description; a field holding a struct by
    # value (`zizq_completion`'s `zizq_buf`) takes that struct's class,
    # declared before it.
    def self.layout_of(struct)
      DESCRIPTION.fetch("structs").fetch(struct).flat_map do |field|
        type = field.fetch("type")
        [field.fetch("name").to_sym, STRUCTS.fetch(type) { ffi_type(type, returned: true) }]
      end
    end

    # The struct classes below by C name, for the fields that embed them.
    STRUCTS = {}
    private_constant :STRUCTS

    # A byte buffer owned by libzizq (`zizq_buf`).
    class Buf < FFI::Struct
      layout(*Native.layout_of("zizq_buf"))
    end
    STRUCTS["zizq_buf"] = Buf
    STRUCTS.freeze

    # One job of a batch (`zizq_job`). Only the document is read: it holds
    # every field, and decoding it once is cheaper than reading each.
    class Job < FFI::Struct
      layout(*Native.layout_of("zizq_job"))
    end

    # One finished call of a deferred client (`zizq_completion`): see
    # NativeCall::Requests.
    class Completion < FFI::Struct
      layout(*Native.layout_of("zizq_completion"))
    end

    # Twins that keep the GVL, `<name>_now`, of the functions given a
    # timeout, for calls with a zero one: they cannot wait, and releasing the
    # GVL would only hand it to another thread and back.
    NOW_TWINS = DESCRIPTION.fetch("functions").filter_map do |function|
      "#{function.fetch('name')}_now" if function.fetch("args").any? { |arg| arg.fetch("name") == "timeout_ms" }
    end.freeze

    # Attach every function the library describes; the names of those with
    # a C type this binding cannot spell are left in UNATTACHED (a test
    # checks that there are none).
    UNATTACHED = DESCRIPTION.fetch("functions").filter_map do |function|
      name = function.fetch("name")
      next if name == "zizq_abi_version" || name == "zizq_abi_description"

      types = function.fetch("args").map { |arg| ffi_type(arg.fetch("type")) }
      returns = ffi_type(function.fetch("returns"), returned: true)
      next name if types.include?(nil) || returns.nil?

      # Calls that may wait (the description's `waits`: on the network, a
      # stream, a worker) release the GVL; the rest return at once, and
      # releasing it would only add a thread switch.
      attach_function name.to_sym, types, returns, blocking: function.fetch("waits")
      attach_function :"#{name}_now", name.to_sym, types, returns if NOW_TWINS.include?("#{name}_now")
      nil
    end.freeze
  end
end
