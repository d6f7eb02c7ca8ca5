# frozen_string_literal: true

module Zizq
  # Server-level methods of the seed's client.
  class Client
    # `{"status" => "ok"}` while the server is up.
    def health
      fetch(:zizq_health)
    end

    def server_version
      fetch(:zizq_server_version).fetch("version")
    end

    # The names of every queue holding jobs.
    def get_queues
      fetch(:zizq_get_queues).fetch("queues")
    end

    # GET a server path (typically a page link) and return the decoded
    # document. A link to another server is refused (ArgumentError).
    def get_path(path)
      fetch(:zizq_get_path, Arguments.string(path, "path"))
    end
  end
end
