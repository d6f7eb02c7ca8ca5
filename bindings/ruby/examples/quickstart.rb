# frozen_string_literal: true

# The quick start of bindings/ruby/README.md, as a script, for the
# installed gem (`rake gem`, then `gem install`):
#
#   ZIZQ_URL=http://127.0.0.1:7890 ruby examples/quickstart.rb
require "zizq"

client = Zizq::Client.new(url: ENV.fetch("ZIZQ_URL"))

job = client.enqueue(queue: "emails", type: "send_email", payload: { to: "ada@example.com" })
puts "enqueued #{job.id} (#{job.status})"

client.take_jobs(queues: ["emails"]) do |taken|
  puts "took #{taken.id}: #{taken.type} #{taken.payload}"
  client.ack(taken.id)
  break
end

puts "jobs left in emails: #{client.count_jobs(queue: 'emails')}"
client.close
