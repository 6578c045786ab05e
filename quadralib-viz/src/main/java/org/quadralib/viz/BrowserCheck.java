package org.quadralib.viz;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Opens an HTML report in headless Chromium and reports what a reader would see go wrong: images that did not load
 * (natural size zero), console errors and uncaught exceptions, and links or sources naming a local file that does
 * not exist; and takes a screenshot.
 *
 * <pre>{@code
 * Optional<Path> chromium = BrowserCheck.chromium();
 * // in a JUnit test: assumeTrue(chromium.isPresent(), "chromium not installed: the browser check is skipped");
 * BrowserCheck.Result r = BrowserCheck.check(chromium.get(), report, screenshot, Duration.ofSeconds(60));
 * assertTrue(r.ok(), r.toString());
 * }</pre>
 *
 * <p>How: a copy of the page, with a {@code <base>} pointing at the report's folder (so relative links resolve as
 * in the original) and a script at the top of {@code <head>} that records {@code console.error} calls, uncaught
 * errors and failed resource loads, and on {@code load} writes every image's natural size and the errors into the
 * DOM, is loaded with {@code --dump-dom}; the dumped DOM is parsed. The screenshot is taken of the original page.
 * Chromium runs with {@code --headless --no-sandbox --disable-gpu}, no network services, and a fresh profile
 * folder that is deleted afterwards. The original report is not modified; the copy lives in a temporary folder.
 */
public final class BrowserCheck {

    /** Where Debian installs Chromium. */
    public static final Path DEFAULT_CHROMIUM = Path.of("/usr/bin/chromium");

    /** Height of the screenshot window: long reports are cut there. */
    private static final int SCREENSHOT_HEIGHT = 6000;
    private static final String MARKER = "quadralib-browser-check";
    private static final Pattern LINK = Pattern.compile("\\b(?:href|src)\\s*=\\s*\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);
    private static final Pattern RESULT = Pattern.compile("<pre id=\"" + MARKER + "\">(.*?)</pre>", Pattern.DOTALL);

    /**
     * What the browser saw.
     *
     * @param imageSizes every {@code <img>}'s natural size and the start of its source, e.g. {@code "800x500 data:image/svg+xml..."}
     * @param brokenImages the images whose natural width or height is zero
     * @param consoleErrors console errors, uncaught exceptions and failed resource loads, in order
     * @param missingLinks {@code href}/{@code src} values naming a local file that does not exist
     * @param screenshot the screenshot written
     */
    public record Result(List<String> imageSizes, List<String> brokenImages, List<String> consoleErrors, List<String> missingLinks,
            Path screenshot) {
        /** True if every image loaded, nothing was logged as an error and every local link names a file. */
        public boolean ok() {
            return brokenImages.isEmpty() && consoleErrors.isEmpty() && missingLinks.isEmpty();
        }
    }

    private BrowserCheck() {
    }

    /**
     * The Chromium executable: the system property {@code quadralib.chromium} if set, else {@link #DEFAULT_CHROMIUM},
     * if it is an executable file.
     */
    public static Optional<Path> chromium() {
        Path p = Path.of(System.getProperty("quadralib.chromium", DEFAULT_CHROMIUM.toString()));
        return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    /**
     * Checks {@code report} in {@code chromium} and writes a screenshot of it to {@code screenshot} (PNG, 1280
     * by 6000 pixels: the top of a longer page).
     *
     * @param timeout the longest either Chromium run may take
     * @throws IOException if the report cannot be read, Chromium cannot be started, exits with an error, times
     *     out (it is then killed), or prints no result
     * @throws InterruptedException if interrupted while waiting for Chromium (it is then killed)
     */
    public static Result check(Path chromium, Path report, Path screenshot, Duration timeout) throws IOException, InterruptedException {
        Objects.requireNonNull(chromium, "chromium");
        Path page = report.toAbsolutePath().normalize();
        String html = Files.readString(page, StandardCharsets.UTF_8);
        List<String> missing = missingLinks(html, page.getParent());
        Path tmp = Files.createTempDirectory("quadralib-browser-check");
        try {
            Path probe = tmp.resolve("page.html");
            Files.writeString(probe, instrument(html, page.getParent()), StandardCharsets.UTF_8);
            String dom = run(chromium, tmp, timeout, "--virtual-time-budget=10000", "--dump-dom", probe.toUri().toString());
            Matcher m = RESULT.matcher(dom);
            if (!m.find()) {
                throw new IOException("BrowserCheck: Chromium printed no result for " + page + " (the page's load event did not run); output starts: "
                        + dom.substring(0, Math.min(300, dom.length())));
            }
            JsonObject result = JsonParser.parseString(unescape(m.group(1))).getAsJsonObject();
            List<String> sizes = strings(result.getAsJsonArray("images"));
            List<String> broken = new ArrayList<>();
            for (String s : sizes) {
                if (s.startsWith("0x") || s.matches("\\d+x0 .*")) {
                    broken.add(s);
                }
            }
            Path shot = screenshot.toAbsolutePath();
            if (shot.getParent() != null) {
                Files.createDirectories(shot.getParent());
            }
            run(chromium, tmp, timeout, "--hide-scrollbars", "--window-size=1280," + SCREENSHOT_HEIGHT, "--screenshot=" + shot, page.toUri().toString());
            if (!Files.isRegularFile(shot)) {
                throw new IOException("BrowserCheck: Chromium wrote no screenshot to " + shot);
            }
            return new Result(List.copyOf(sizes), List.copyOf(broken), List.copyOf(strings(result.getAsJsonArray("errors"))), List.copyOf(missing),
                    shot);
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * The {@code href} and {@code src} values of {@code html} that name a local file (not {@code data:},
     * {@code http(s):}, {@code mailto:} or a {@code #fragment}) that does not exist relative to {@code folder}.
     */
    static List<String> missingLinks(String html, Path folder) {
        List<String> out = new ArrayList<>();
        Matcher m = LINK.matcher(html);
        while (m.find()) {
            String link = m.group(1).replace("&amp;", "&");
            String lower = link.toLowerCase(java.util.Locale.ROOT);
            if (link.isEmpty() || link.startsWith("#") || lower.startsWith("data:") || lower.startsWith("http:") || lower.startsWith("https:")
                    || lower.startsWith("mailto:")) {
                continue;
            }
            String path = link.replaceAll("[?#].*$", "");
            Path target = lower.startsWith("file:") ? Path.of(URI.create(path)) : folder.resolve(java.net.URLDecoder.decode(path, StandardCharsets.UTF_8));
            if (!Files.exists(target)) {
                out.add(link);
            }
        }
        return out;
    }

    private static String instrument(String html, Path folder) {
        String script = "<base href=\"" + folder.toUri() + "\"><script>(function(){var errors=[];"
                + "var oe=console.error;console.error=function(){errors.push(Array.prototype.map.call(arguments,String).join(' '));"
                + "return oe.apply(console,arguments);};"
                + "window.addEventListener('error',function(e){var t=e.target;errors.push(t&&t!==window&&(t.src||t.href)"
                + "?'failed to load '+String(t.src||t.href).slice(0,120):'uncaught: '+e.message);},true);"
                + "window.addEventListener('unhandledrejection',function(e){errors.push('unhandled rejection: '+e.reason);});"
                + "window.addEventListener('load',function(){var images=[];document.querySelectorAll('img').forEach(function(i){"
                + "images.push(i.naturalWidth+'x'+i.naturalHeight+' '+String(i.currentSrc||i.src).slice(0,60));});"
                + "var pre=document.createElement('pre');pre.id='" + MARKER + "';"
                + "pre.textContent=JSON.stringify({images:images,errors:errors});document.body.appendChild(pre);});})();</script>";
        Matcher head = Pattern.compile("<head[^>]*>", Pattern.CASE_INSENSITIVE).matcher(html);
        return head.find() ? html.substring(0, head.end()) + script + html.substring(head.end()) : script + html;
    }

    private static String run(Path chromium, Path tmp, Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + tmp.resolve("profile")));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("stdout.txt");
        Path err = tmp.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("BrowserCheck: Chromium did not finish within " + timeout + ": " + String.join(" ", cmd));
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        if (p.exitValue() != 0) {
            throw new IOException("BrowserCheck: Chromium exited with " + p.exitValue() + ": " + Files.readString(err, StandardCharsets.UTF_8));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static String unescape(String text) {
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : a) {
            out.add(e.getAsString());
        }
        return out;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
