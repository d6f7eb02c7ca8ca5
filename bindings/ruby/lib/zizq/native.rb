# frozen_string_literal: true

require "ffi"
require_relative "native_library"

module Zizq
  # The C API of libzizq (include/zizq.h), attached with ruby-ffi.
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

    enum :zizq_status, [
      :ZIZQ_OK, 0,
      :ZIZQ_E_NULL_ARG, 1,
      :ZIZQ_E_INVALID_ARG, 2,
      :ZIZQ_E_DECODE, 3,
      :ZIZQ_E_NOT_FOUND, 4,
      :ZIZQ_E_CLIENT, 5,
      :ZIZQ_E_SERVER, 6,
      :ZIZQ_E_CONNECTION, 7,
      :ZIZQ_E_TIMEOUT, 8,
      :ZIZQ_E_TLS, 9,
      :ZIZQ_E_STREAM, 10,
      :ZIZQ_E_CLOSED, 11,
      :ZIZQ_E_CANCELLED, 12,
      :ZIZQ_E_FORKED, 13,
      :ZIZQ_E_PANIC, 14,
      :ZIZQ_E_UNEXPECTED_STATUS, 15,
      :ZIZQ_E_FRAME_TOO_LARGE, 16,
      :ZIZQ_E_BUSY, 17,
      :ZIZQ_E_STREAM_ENDED, 18,
      :ZIZQ_E_RESOURCE, 19
    ]

    # `zizq_format` values, as taken by `zizq_parser_new` and returned by
    # `zizq_error_body_format` (0, not a document, is left out).
    FORMATS = { json: 1, msgpack: 2 }.freeze

    # A byte buffer owned by libzizq (`zizq_buf`).
    class Buf < FFI::Struct
      layout :data, :pointer, :len, :size_t, :cap, :size_t
    end

    # One job of a batch (`zizq_job`). Only the document is read: it holds
    # every field, and decoding it once is cheaper than reading each.
    class Job < FFI::Struct
      layout :id, :pointer,
             :type, :pointer,
             :queue, :pointer,
             :doc, :pointer,
             :doc_len, :size_t,
             :priority, :uint32,
             :attempts, :uint32
    end

    # Shorthands for the argument lists below.
    typedef :pointer, :handle
    typedef :pointer, :error_out
    typedef :buffer_in, :doc

    attach_function :zizq_version, [], :string
    attach_function :zizq_buf_free, [:pointer], :void

    # Errors.
    attach_function :zizq_error_http_status, [:pointer], :uint16
    attach_function :zizq_error_message, [:pointer], :string
    attach_function :zizq_error_body, %i[pointer pointer], :pointer
    attach_function :zizq_error_body_format, %i[pointer], :int32
    attach_function :zizq_error_retryable, [:pointer], :bool
    attach_function :zizq_error_outcome_unknown, [:pointer], :bool
    attach_function :zizq_error_free, [:pointer], :void

    # Clients.
    attach_function :zizq_client_new, %i[string doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_client_close, [:handle], :zizq_status
    attach_function :zizq_client_close_streams, [:handle], :zizq_status
    attach_function :zizq_client_free, [:handle], :void

    # Jobs.
    attach_function :zizq_enqueue, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_enqueue_bulk, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_get_job, %i[handle string pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_list_jobs, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_count_jobs, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_update_job, %i[handle string doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_update_all_jobs, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_delete_job, %i[handle string error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_delete_all_jobs, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_report_success, %i[handle string error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_report_success_bulk, %i[handle doc size_t error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_report_failure, %i[handle string doc size_t pointer error_out],
                    :zizq_status, blocking: true
    attach_function :zizq_list_errors, %i[handle string doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_get_error, %i[handle string uint32 pointer error_out], :zizq_status,
                    blocking: true

    # Server.
    attach_function :zizq_health, %i[handle pointer error_out], :zizq_status, blocking: true
    attach_function :zizq_server_version, %i[handle pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_get_queues, %i[handle pointer error_out], :zizq_status, blocking: true
    attach_function :zizq_erase_all_data, %i[handle error_out], :zizq_status, blocking: true
    attach_function :zizq_get_path, %i[handle string pointer error_out], :zizq_status,
                    blocking: true

    # Crons.
    attach_function :zizq_list_cron_groups, %i[handle pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_get_cron_group, %i[handle string pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_replace_cron_group, %i[handle string doc size_t pointer error_out],
                    :zizq_status, blocking: true
    attach_function :zizq_update_cron_group, %i[handle string doc size_t pointer error_out],
                    :zizq_status, blocking: true
    attach_function :zizq_delete_cron_group, %i[handle string error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_delete_all_crons, %i[handle pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_add_cron_group_entry, %i[handle string doc size_t pointer error_out],
                    :zizq_status, blocking: true
    attach_function :zizq_get_cron_group_entry, %i[handle string string pointer error_out],
                    :zizq_status, blocking: true
    attach_function :zizq_replace_cron_group_entry,
                    %i[handle string string doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_update_cron_group_entry,
                    %i[handle string string doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_delete_cron_group_entry, %i[handle string string error_out],
                    :zizq_status, blocking: true

    # Batches of jobs (from take streams and workers).
    attach_function :zizq_batch_len, [:pointer], :size_t
    attach_function :zizq_batch_jobs, [:pointer], :pointer
    attach_function :zizq_batch_free, [:pointer], :void

    # Take streams.
    attach_function :zizq_take_open, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_take_next, %i[handle size_t int64 pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_take_free, [:handle], :void

    # Workers.
    attach_function :zizq_worker_new, %i[handle doc size_t pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_worker_next, %i[handle size_t int64 pointer error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_worker_ack, %i[handle string error_out], :zizq_status
    attach_function :zizq_worker_nack, %i[handle string doc size_t error_out], :zizq_status
    attach_function :zizq_worker_wakeup, [:handle], :zizq_status
    attach_function :zizq_worker_shutdown, %i[handle int64 error_out], :zizq_status,
                    blocking: true
    attach_function :zizq_worker_stats, %i[handle pointer error_out], :zizq_status
    attach_function :zizq_worker_free, [:handle], :void

    # Stream parser.
    attach_function :zizq_parser_new, %i[int32 size_t pointer error_out], :zizq_status
    attach_function :zizq_parser_feed, %i[handle doc size_t pointer error_out], :zizq_status
    attach_function :zizq_parser_finish, %i[handle error_out], :zizq_status
    attach_function :zizq_parser_free, [:handle], :void
    attach_function :zizq_frames_len, [:pointer], :size_t
    attach_function :zizq_frames_get, %i[pointer size_t pointer pointer], :zizq_status
    attach_function :zizq_frames_free, [:pointer], :void
  end
end
