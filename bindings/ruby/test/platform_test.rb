# frozen_string_literal: true

require "open3"
require "rbconfig"
require "tmpdir"
require_relative "test_helper"

# Threads (GVL), fork, and loading the library.
class PlatformTest < ZizqTest
  def test_a_slow_request_releases_the_gvl
    require_own_server
    server.faults(delay_ms: 1000)
    before = server.requests
    request = Thread.new { client.health }
    wait_until { server.requests > before }
    # The request now waits ~1 s inside libzizq; this thread must keep running.
    count = 0
    finish = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 0.3
    count += 1 while Process.clock_gettime(Process::CLOCK_MONOTONIC) < finish
    assert request.alive?, "the request was expected to still be waiting"
    assert_operator count, :>, 10_000
    assert_equal({ "status" => "ok" }, request.value)
  end

  def test_a_waiting_take_releases_the_gvl
    taking = Thread.new { client.take_jobs { nil } }
    wait_until { !server.own? || server.state.fetch("take_streams") == 1 }
    # Were the GVL held during each 200 ms wait for jobs, this loop would
    # see pauses of that length every time the taking thread runs.
    long_pauses = 0
    last = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    finish = last + 1.0
    while (now = Process.clock_gettime(Process::CLOCK_MONOTONIC)) < finish
      long_pauses += 1 if now - last > 0.15
      last = now
    end
    assert_operator long_pauses, :<=, 1
    client.close
    assert_nil taking.value
  end

  # At exit Ruby kills threads that are in their ensure blocks, where the
  # library's handles are freed. An interrupt between FFI's release of a
  # pointer and its disarming of the finalizer made the finalizer free the
  # handle a second time (a crash at exit, about one run in sixty of the
  # Ruby worker benchmark). NativeCall.free holds such interrupts until the
  # release is complete.
  def test_an_interrupted_free_still_disarms_the_finalizer
    started = Queue.new
    releases = 0
    releaser = lambda do |_pointer|
      releases += 1
      started << true
      sleep 0.2 # the interrupt arrives here
    end
    pointer = FFI::AutoPointer.new(FFI::Pointer.new(0x1000), releaser)
    freeing = Thread.new { Zizq::NativeCall.free(pointer) }
    freeing.report_on_exception = false
    started.pop
    freeing.raise(Interrupt)
    assert_raises(Interrupt) { freeing.join }
    assert_equal 1, releases
    refute pointer.autorelease?, "the finalizer would release the pointer again"
  end

  def test_fork_refuses_parent_handles_and_allows_new_clients
    skip "fork is not available" unless Process.respond_to?(:fork)

    assert_equal({ "status" => "ok" }, client.health)
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      writer.write(JSON.generate(child_report(client)))
      writer.close
      exit!(0)
    end
    writer.close
    report = JSON.parse(reader.read)
    Process.wait(pid)
    assert_equal "Zizq::Error", report.fetch("parent_class")
    assert_match(/parent process/, report.fetch("parent_message"))
    assert_equal({ "status" => "ok" }, report.fetch("child_health"))
    assert_equal 1, client.count_jobs, "the child's client enqueued a job"
    assert_equal({ "status" => "ok" }, client.health, "the parent's client still works")
  end

  def test_abi_version_is_checked_on_load
    assert_equal Zizq::Native::ABI_VERSION, Zizq::Native.zizq_abi_version
    compiler = %w[cc gcc clang].find { |cc| system("command -v #{cc} > /dev/null 2>&1") }
    skip "no C compiler to build a library of another ABI" unless compiler

    Dir.mktmpdir do |dir|
      source = File.join(dir, "fake.c")
      File.write(source, "unsigned int zizq_abi_version(void) { return 2; }\n")
      library = File.join(dir, "libzizq.so")
      assert system(compiler, "-shared", "-fPIC", "-o", library, source), "compiling the fake library"
      output, status = load_zizq_with(library)
      refute status.success?
      assert_match(/LoadError/, output)
      assert_match(/C ABI version 2, but this zizq gem needs version 1/, output)
    end
  end

  def test_missing_library_is_a_clear_load_error
    output, status = load_zizq_with("/nonexistent/libzizq.so")
    refute status.success?
    assert_match(%r{ZIZQ_LIB points to "/nonexistent/libzizq.so", which is not a file}, output)
  end

  private

  def child_report(parent)
    report = {}
    begin
      parent.health
      report["parent_class"] = "no error"
    rescue Zizq::Error => e
      report["parent_class"] = e.class.name
      report["parent_message"] = e.message
    end
    child = Zizq::Client.new(url: server.url, format: FORMAT)
    child.enqueue(queue: "forked", type: "child", payload: nil)
    report["child_health"] = child.health
    child.close
    report
  end

  # Require the gem in a fresh Ruby with ZIZQ_LIB pointing at `library`.
  def load_zizq_with(library)
    script = "require 'zizq'"
    Open3.capture2e({ "ZIZQ_LIB" => library }, RbConfig.ruby, "-I", File.join(RUBY_ROOT, "lib"),
                    "-e", script)
  end
end
