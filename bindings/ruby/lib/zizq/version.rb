# frozen_string_literal: true

module Zizq
  VERSION = "0.1.0"
end
