"""taskiq-redis's stream broker, claiming a dead worker's jobs even when the queue is idle.

RedisStreamBroker (taskiq-redis 1.2) runs XAUTOCLAIM only after XREADGROUP returned new
messages, so jobs left unacknowledged by a killed worker wait until someone posts again. This
subclass claims on every turn of the loop, idle or not; everything else is the library's.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from redis.asyncio import Redis
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker


class ClaimingStreamBroker(RedisStreamBroker):
    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        streams: dict[Any, Any] = {self.queue_name: ">", **self.additional_streams}
        async with Redis(connection_pool=self.connection_pool) as conn:
            while True:
                fetched: Any = await conn.xreadgroup(
                    self.consumer_group_name, self.consumer_name, streams,
                    block=self.block, noack=False, count=self.count)
                for stream, messages in fetched or []:
                    for msg_id, msg in messages:
                        yield AckableMessage(data=msg[b"data"],
                                             ack=self._ack_generator(id=msg_id,
                                                                     queue_name=stream))
                for stream in [self.queue_name, *self.additional_streams.keys()]:
                    result: Any = await conn.xautoclaim(
                        name=stream, groupname=self.consumer_group_name,
                        consumername=self.consumer_name, min_idle_time=self.idle_timeout,
                        count=self.unacknowledged_batch_size)
                    for msg_id, msg in result[1]:
                        if msg is None:  # trimmed from the stream meanwhile
                            continue
                        yield AckableMessage(data=msg[b"data"],
                                             ack=self._ack_generator(id=msg_id,
                                                                     queue_name=stream))
