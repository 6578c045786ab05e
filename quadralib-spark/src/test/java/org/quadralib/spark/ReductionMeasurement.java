package org.quadralib.spark;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Times the ways of summing one float gradient per partition on this machine (not a test; run by hand):
 * {@code mvn -B -q -pl quadralib-spark -am test-compile exec:exec -Dexec.executable=java
 * -Dexec.classpathScope=test -Dexec.args="... -classpath %classpath org.quadralib.spark.ReductionMeasurement"}.
 * Prints the median milliseconds of 20 reductions after 5 warm-ups, per strategy and gradient size.
 */
public final class ReductionMeasurement {

    private ReductionMeasurement() {
    }

    /** Runs the measurement; args: master (default local[2]). */
    public static void main(String[] args) {
        String master = args.length > 0 ? args[0] : "local[2]";
        SparkConf conf = new SparkConf().setMaster(master).setAppName("reduction").set("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("ERROR");
            int k = sc.defaultParallelism();
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                ids.add(i);
            }
            JavaRDD<Integer> parts = sc.parallelize(ids, k).cache();
            parts.count();
            for (int length : new int[] {60_000, 600_000}) {
                System.out.printf(Locale.ROOT, "k=%d, gradient %d floats (%d KiB)%n", k, length, length / 256);
                System.out.printf(Locale.ROOT, "  driver collect, summed in order  %8.1f ms%n",
                        time(() -> driver(parts, length)));
                System.out.printf(Locale.ROOT, "  treeAggregate depth 2            %8.1f ms%n",
                        time(() -> tree(parts, length)));
                System.out.printf(Locale.ROOT, "  shuffle reduce-scatter (blocks)  %8.1f ms%n",
                        time(() -> shuffle(parts, length, k)));
                System.out.printf(Locale.ROOT, "  barrier allGather (Base64)       %8.1f ms%n",
                        time(() -> barrier(parts, length)));
            }
        }
    }

    private static double time(Runnable reduction) {
        double[] ms = new double[20];
        for (int i = 0; i < 5; i++) {
            reduction.run();
        }
        for (int i = 0; i < ms.length; i++) {
            long start = System.nanoTime();
            reduction.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return (ms[9] + ms[10]) / 2;
    }

    private static float[] gradient(int partition, int length) {
        float[] g = new float[length];
        Arrays.fill(g, partition + 1);
        return g;
    }

    private static float[] add(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
    }

    private static void check(float[] sum, int k) {
        float want = k * (k + 1) / 2f;
        if (sum[0] != want || sum[sum.length - 1] != want) {
            throw new IllegalStateException("wrong sum " + sum[0] + ", expected " + want);
        }
    }

    private static void driver(JavaRDD<Integer> parts, int length) {
        List<float[]> all = parts.map(p -> gradient(p, length)).collect();
        float[] sum = new float[length];
        all.forEach(g -> add(sum, g));
        check(sum, all.size());
    }

    private static void tree(JavaRDD<Integer> parts, int length) {
        float[] sum = parts.map(p -> gradient(p, length)).treeAggregate(new float[length],
                ReductionMeasurement::add, ReductionMeasurement::add, 2);
        check(sum, parts.getNumPartitions());
    }

    /** BigDL's shape: each task cuts its gradient in k slices, slice j is summed by reducer j, then collected. */
    private static void shuffle(JavaRDD<Integer> parts, int length, int k) {
        List<Tuple2<Integer, float[]>> slices = parts.flatMapToPair(p -> {
            float[] g = gradient(p, length);
            List<Tuple2<Integer, float[]>> out = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                out.add(new Tuple2<>(j, Arrays.copyOfRange(g, (int) ((long) j * length / k),
                        (int) ((long) (j + 1) * length / k))));
            }
            return out.iterator();
        }).reduceByKey(ReductionMeasurement::add, k).collect();
        float[] sum = new float[length];
        for (Tuple2<Integer, float[]> s : slices) {
            System.arraycopy(s._2(), 0, sum, (int) ((long) s._1() * length / k), s._2().length);
        }
        check(sum, k);
    }

    /** Barrier mode: every task all-gathers every gradient (strings only) and sums; task 0 returns the sum. */
    private static void barrier(JavaRDD<Integer> parts, int length) {
        scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<float[]>> body =
                (scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<float[]>>
                        & java.io.Serializable) it -> CollectionConverters.asScala(allGatherSum(it.next(), length));
        List<float[]> result = parts.rdd().barrier().mapPartitions(body, false,
                scala.reflect.ClassTag$.MODULE$.apply(float[].class)).toJavaRDD().collect();
        check(result.get(0), parts.getNumPartitions());
    }

    private static java.util.Iterator<float[]> allGatherSum(int p, int length) {
        BarrierTaskContext context = BarrierTaskContext.get();
        ByteBuffer bytes = ByteBuffer.allocate(4 * length);
        bytes.asFloatBuffer().put(gradient(p, length));
        String[] all = context.allGather(Base64.getEncoder().encodeToString(bytes.array()));
        float[] sum = new float[length];
        float[] g = new float[length];
        for (String s : all) {
            ByteBuffer.wrap(Base64.getDecoder().decode(s)).asFloatBuffer().get(g);
            add(sum, g);
        }
        return context.partitionId() == 0 ? List.of(sum).iterator() : List.<float[]>of().iterator();
    }
}
