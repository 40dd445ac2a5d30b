import lib.*;
import lib.output.*;
import lib.store.*;
import java.io.OutputStream;
import java.nio.file.*;
import java.util.*;
import lib.Fail;
import lib.output.Output;
import lib.store.Storage;

/**
 * Test helper, run as a program (as an unprivileged user, too): NativeWrite OUT SOURCE...
 * writes the native storage tar to OUT, through a temporary name that is renamed on success,
 * so a failure leaves no OUT behind. Prints ERROR: reason and exits 1 on failure.
 */
public final class NativeWrite {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: NativeWrite OUT SOURCE...");
            System.exit(2);
        }
        Path target = Path.of(args[0]);
        try {
            Output.write(lib.exec.Run.QUIET, target, null, out -> Storage.write(lib.exec.Run.QUIET, Arrays.asList(args).subList(1, args.length), out));
        } catch (Fail f) {
            System.err.println("ERROR: " + f.getMessage());
            if (!f.detail.isBlank()) System.err.println(f.detail);
            System.exit(1);
        } catch (Exception e) {
            System.err.println("ERROR: " + e);
            System.exit(1);
        }
        System.exit(0);
    }
}
