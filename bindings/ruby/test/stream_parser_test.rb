# frozen_string_literal: true

require_relative "test_helper"

# Client.parse_ndjson / .parse_msgpack_stream, on libzizq's parser.
class StreamParserTest < Minitest::Test
  JOBS = [{ "id" => "a", "payload" => { "n" => 1 } }, { "id" => "b", "payload" => [1, "two", nil] }].freeze

  def test_ndjson_in_any_chunking_with_heartbeats
    bytes = "\n#{JSON.generate(JOBS[0])}\n\n\n#{JSON.generate(JOBS[1])}\n\n"
    assert_equal JOBS, parse(:parse_ndjson, [bytes])
    assert_equal JOBS, parse(:parse_ndjson, bytes.chars)
    assert_equal JOBS, parse(:parse_ndjson, bytes.scan(/.{1,7}/m))
  end

  def test_msgpack_stream_in_any_chunking_with_heartbeats
    heartbeat = [0].pack("N")
    frames = JOBS.map { |job| packed = MessagePack.pack(job); [packed.bytesize].pack("N") + packed }
    bytes = heartbeat + frames[0] + heartbeat + heartbeat + frames[1] + heartbeat
    assert_equal JOBS, parse(:parse_msgpack_stream, [bytes])
    assert_equal JOBS, parse(:parse_msgpack_stream, bytes.bytes.map(&:chr))
    assert_equal JOBS, parse(:parse_msgpack_stream, bytes.b.scan(/.{1,5}/mn))
  end

  def test_enumerator_without_a_block
    lines = JOBS.map { |job| "#{JSON.generate(job)}\n" }
    enumerator = Zizq::Client.parse_ndjson(lines)
    assert_kind_of Enumerator, enumerator
    assert_equal JOBS, enumerator.to_a
  end

  def test_truncated_final_frame_is_an_error
    seen = []
    error = assert_raises(Zizq::StreamError) do
      Zizq::Client.parse_ndjson(["#{JSON.generate(JOBS[0])}\n{\"id\":"]) { |job| seen << job }
    end
    assert_match(/truncated/, error.message)
    assert_equal [JOBS[0]], seen, "complete frames are yielded before the error"
    packed = MessagePack.pack(JOBS[0])
    assert_raises(Zizq::StreamError) do
      Zizq::Client.parse_msgpack_stream([[packed.bytesize].pack("N") + packed[0, 3]]) { nil }
    end
  end

  def test_malformed_frames_are_errors
    assert_raises(Zizq::Error) { Zizq::Client.parse_ndjson(["{oops}\n"]) { nil } }
    assert_raises(Zizq::Error) { Zizq::Client.parse_msgpack_stream([[1].pack("N") + "\xc1".b]) { nil } }
  end

  def test_errors_raised_by_the_block_propagate
    assert_raises(KeyError) do
      Zizq::Client.parse_ndjson(["#{JSON.generate(JOBS[0])}\n"]) { |job| job.fetch("missing") }
    end
  end

  private

  def parse(method, chunks)
    jobs = []
    assert_nil Zizq::Client.public_send(method, chunks) { |job| jobs << job }
    jobs
  end
end
