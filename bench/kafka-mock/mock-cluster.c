/*
 * librdkafka's mock cluster (in memory, in this process) as a stand-alone Kafka endpoint, the
 * baseline of bench/kafka.ts: prints its bootstrap servers, serves until stdin closes.
 *
 *   cc -O2 -o mock-cluster mock-cluster.c -lrdkafka
 *   mock-cluster TOPIC PARTITIONS
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: mock-cluster TOPIC PARTITIONS\n");
    return 2;
  }
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, 1);
  if (!mcluster) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  if (rd_kafka_mock_topic_create(mcluster, argv[1], atoi(argv[2]), 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "rd_kafka_mock_topic_create failed\n");
    return 1;
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
  fflush(stdout);
  while (getchar() != EOF) {
  }
  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
