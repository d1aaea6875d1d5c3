// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SanctionsOracle
/// @notice TEST ONLY. The Chainalysis sanctions oracle's read interface (`isSanctioned(address) view returns (bool)`,
/// selector 0xdf592f7d), for the facilitator's screening tests. Anyone may add or remove addresses, and `setBroken`
/// makes every `isSanctioned` revert (an oracle that errors). Placed with `anvil_setCode` (no constructor):
/// slot 0 `sanctioned` (mapping), slot 1 `broken`.
contract SanctionsOracle {
    mapping(address => bool) private sanctioned;
    bool public broken;

    event SanctionedAddressesAdded(address[] addrs);
    event SanctionedAddressesRemoved(address[] addrs);

    function name() external pure returns (string memory) {
        return "Test sanctions oracle";
    }

    function isSanctioned(address addr) external view returns (bool) {
        require(!broken, "oracle unavailable");
        return sanctioned[addr];
    }

    function addToSanctionsList(address[] calldata addrs) external {
        for (uint256 i = 0; i < addrs.length; i++) sanctioned[addrs[i]] = true;
        emit SanctionedAddressesAdded(addrs);
    }

    function removeFromSanctionsList(address[] calldata addrs) external {
        for (uint256 i = 0; i < addrs.length; i++) sanctioned[addrs[i]] = false;
        emit SanctionedAddressesRemoved(addrs);
    }

    function setBroken(bool value) external {
        broken = value;
    }
}
