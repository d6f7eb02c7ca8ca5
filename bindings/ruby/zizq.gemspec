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

  # The library is copied into lib/zizq/native/ by the build step
  # (test/gem_install_test.sh shows it); without it the gem needs ZIZQ_LIB.
  spec.files = Dir["lib/**/*.rb"] + Dir["lib/zizq/native/libzizq.so"] + ["README.md"]
  spec.require_paths = ["lib"]

  spec.add_dependency "ffi", "~> 1.15"
  spec.add_dependency "msgpack", "~> 1.4"
end
