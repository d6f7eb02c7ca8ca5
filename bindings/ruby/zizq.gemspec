# frozen_string_literal: true

require_relative "lib/zizq/version"

Gem::Specification.new do |spec|
  spec.name = "zizq"
  spec.version = Zizq::VERSION
  spec.summary = "Zizq job-queue client on libzizq"
  spec.description = "The Zizq::Client API (jobs, take streams, acks, crons, pagination) and a " \
                     "worker, running on libzizq, the shared Rust core loaded through ruby-ffi."
  spec.authors = ["libzizq contributors"]
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.1"

  # A platform gem: it carries libzizq, which `rake gem` (see the Rakefile)
  # puts at lib/zizq/native/ in the copy it builds the gem from, so installing
  # it needs no Rust toolchain.
  # Without that file `gem build` refuses the spec ("... are not files"): run
  # `rake gem`, not `gem build`.
  native = "lib/zizq/native/libzizq.so"
  spec.platform = Gem::Platform.local
  spec.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb"] + Dir["sig/**/*.rbs"] } + [native, "README.md"]
  spec.require_paths = ["lib"]

  spec.add_dependency "ffi", "~> 1.15"
  spec.add_dependency "msgpack", "~> 1.4"
end
