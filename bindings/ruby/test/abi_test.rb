# frozen_string_literal: true

require_relative "test_helper"

# The FFI layer agrees with the ABI the loaded libzizq describes
# (`zizq_abi_description`): every described function attached, every
# function the gem calls described, every kind of failure mapped to an
# exception class.
class AbiTest < Minitest::Test
  DESCRIPTION = Zizq::Native::DESCRIPTION
  FUNCTIONS = DESCRIPTION.fetch("functions").to_h { |f| [f.fetch("name"), f] }

  def test_every_described_function_is_attached
    assert_empty Zizq::Native::UNATTACHED, "C types this gem cannot spell"
    FUNCTIONS.each_key { |name| assert_respond_to Zizq::Native, name }
  end

  def test_every_function_called_is_described
    called = Dir.glob(File.join(RUBY_ROOT, "lib", "**", "*.rb")).flat_map do |file|
      File.read(file).scan(/(?:Native\.|:)(zizq_\w+)/).flatten
    end.uniq - ["zizq_status"]
    refute_empty called
    assert_empty called - FUNCTIONS.keys - Zizq::Native::NOW_TWINS, "called but not in libzizq's ABI"
  end

  # Functions given a timeout have a twin that keeps the GVL, for a zero one.
  def test_functions_with_a_timeout_have_a_twin_for_a_zero_one
    assert_includes Zizq::Native::NOW_TWINS, "zizq_worker_next_now"
    Zizq::Native::NOW_TWINS.each do |twin|
      assert FUNCTIONS.fetch(twin.delete_suffix("_now")).fetch("args").any? { |a| a.fetch("name") == "timeout_ms" }
      assert_respond_to Zizq::Native, twin
    end
  end

  # Which calls release the GVL comes from the description (`waits`).
  def test_the_description_says_which_calls_wait
    %w[zizq_health zizq_worker_next zizq_take_next zizq_completion_queue_next].each do |name|
      assert FUNCTIONS.fetch(name).fetch("waits"), name
    end
    %w[zizq_worker_ack zizq_batch_len zizq_error_free].each do |name|
      refute FUNCTIONS.fetch(name).fetch("waits"), name
    end
  end

  def test_every_kind_of_failure_has_an_exception_class
    kinds = DESCRIPTION.fetch("statuses").map { |s| s.fetch("category").to_sym }.uniq - [:ok]
    assert_equal kinds.sort, Zizq::Errors::CLASSES.keys.sort
    DESCRIPTION.fetch("statuses").reject { |s| s.fetch("category") == "ok" }.each do |status|
      error = Zizq::Errors.from_native(status.fetch("name").to_sym, FFI::Pointer::NULL)
      assert_instance_of Zizq::Errors::CLASSES.fetch(status.fetch("category").to_sym), error
    end
  end

  def test_structs_follow_the_description
    { Zizq::Native::Buf => "zizq_buf", Zizq::Native::Job => "zizq_job",
      Zizq::Native::Completion => "zizq_completion" }.each do |struct, name|
      fields = DESCRIPTION.fetch("structs").fetch(name).map { |f| f.fetch("name").to_sym }
      assert_equal fields, struct.members
    end
  end
end
